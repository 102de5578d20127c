using System.CommandLine;
using System.Runtime.InteropServices;
using SplitCompute.Cli.Local;

namespace SplitCompute.Cli.Commands;

/// <summary>`up`: redis-server, N workers and the gateway on 127.0.0.1 until Ctrl-C or SIGTERM.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Hugging Face GPT-2 model directory", Required = true };
        var port = new Option<int>("--port") { Description = "gateway port on 127.0.0.1", DefaultValueFactory = _ => 8080 };
        var workers = new Option<int>("--workers") { Description = "inference worker processes", DefaultValueFactory = _ => 1 };
        var command = new Command("up", "start redis-server, the workers and the gateway on this machine; Ctrl-C stops them") { model, port, workers };
        command.SetAction(async (result, cancellationToken) =>
        {
            // A signal may be handled on its own thread after this method has moved on: completing a task never throws, where
            // cancelling a disposed token source would crash the process.
            var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stopping.TrySetResult();
            });
            using var ctrlC = cancellationToken.Register(() => stopping.TrySetResult());
            var logs = Path.Combine(Paths.Home, "logs");
            await using var cluster = await LocalCluster.StartAsync(result.GetValue(model)!.FullName, result.GetValue(port), Math.Max(1, result.GetValue(workers)),
                logs, Console.Out, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"redis: {cluster.Redis}  (password in {Path.Combine(Paths.Home, "secrets")}; `keys --redis {cluster.Redis}` finds it)");
            Console.WriteLine($"gateway: {cluster.Gateway}  (logs in {logs}; Ctrl-C stops everything)");
            await stopping.Task.ConfigureAwait(false);
            Console.WriteLine("stopping ...");
            return 0;
        });
        return command;
    }
}
