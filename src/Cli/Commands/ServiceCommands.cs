using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SplitCompute.Gateway.Hosting;
using SplitCompute.InferenceWorker.Hosting;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `worker ...` and `gateway ...`: run one service in this process. Every further argument is ASP.NET configuration
/// (e.g. --urls http://0.0.0.0:8081 --Worker:ModelDirectory=/models/gpt2), so docker images and `up` use the same binary.
/// </summary>
internal static class ServiceCommands
{
    public static Command Worker() => Service("worker", "run an inference worker (configuration: --Worker:ModelDirectory=DIR, --Redis:Endpoint=HOST:PORT, --urls URL)",
        args => WorkerApp.Build(args));

    public static Command Gateway() => Service("gateway", "run the gateway (configuration: --Gateway:RedisEndpoint=HOST:PORT, --urls URL, --Planner:SlackFraction=F)",
        args => GatewayApp.Build(args));

    private static Command Service(string name, string description, Func<string[], Microsoft.AspNetCore.Builder.WebApplication> build)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(async (result, cancellationToken) =>
        {
            var app = build([.. result.UnmatchedTokens]);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);  // SIGTERM, Ctrl-C or the token; stops the host gracefully
            return 0;
        });
        return command;
    }
}
