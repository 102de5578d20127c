using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>This worker's id and the address gateways reach it at (resolved once Kestrel has bound its port).</summary>
public sealed class WorkerIdentity(IOptions<WorkerOptions> options, IServer server)
{
    public string WorkerId { get; } = string.IsNullOrWhiteSpace(options.Value.WorkerId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}"
        : options.Value.WorkerId;

    public string Address =>
        options.Value.PublicAddress
        ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
        ?? "http://127.0.0.1";
}
