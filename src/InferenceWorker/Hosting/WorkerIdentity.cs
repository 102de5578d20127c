using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>
/// This worker's id and the address gateways reach it at (resolved once Kestrel has bound its port). Bound to every interface
/// (0.0.0.0 or [::], as in a container), it advertises its host name, which is what other containers and hosts can resolve;
/// <see cref="WorkerOptions.PublicAddress"/> overrides both.
/// </summary>
public sealed class WorkerIdentity(IOptions<WorkerOptions> options, IServer server)
{
    public string WorkerId { get; } = string.IsNullOrWhiteSpace(options.Value.WorkerId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}"
        : options.Value.WorkerId;

    public string Address =>
        (string.IsNullOrWhiteSpace(options.Value.PublicAddress) ? null : options.Value.PublicAddress)
        ?? Advertised(server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault())
        ?? "http://127.0.0.1";

    internal static string? Advertised(string? bound) =>
        bound?.Replace("[::]", Environment.MachineName, StringComparison.Ordinal).Replace("0.0.0.0", Environment.MachineName, StringComparison.Ordinal)
            .Replace("://+:", $"://{Environment.MachineName}:", StringComparison.Ordinal).Replace("://*:", $"://{Environment.MachineName}:", StringComparison.Ordinal);
}
