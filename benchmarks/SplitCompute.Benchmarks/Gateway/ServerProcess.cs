using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// One server of the benchmark (fast backend, plain YARP, our gateway) in a child process of its own: the benchmark's own
/// executable started with <c>gateway --serve ROLE ...</c>. The child prints "listening URL" once Kestrel is bound and runs until
/// its standard input closes (so it also ends when the benchmark dies). Children run with server GC, as ASP.NET apps do by default.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "listening ";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, string role)
    {
        _process = process;
        Role = role;
    }

    public string Role { get; }

    public string Url { get; private set; } = "";

    public int ProcessId => _process.Id;

    /// <summary>Child side: builds the role's app, starts it, prints its address, and waits for stdin to close.</summary>
    public static int Serve(string role, string[] args)
    {
        WebApplication app = role switch
        {
            "backend" => FastBackend.Build(args),
            "plain-yarp" => PlainYarpProxy.Build(args),
            "gateway" => GatewayApp.Build(args),
            _ => throw new ArgumentException($"unknown role '{role}'", nameof(role)),
        };
        app.StartAsync().GetAwaiter().GetResult();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine(ListeningPrefix + address);
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
        }
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5))) app.StopAsync(stop.Token).GetAwaiter().GetResult();
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>Parent side: starts the child and waits (up to 60 s) for its address.</summary>
    public static async Task<ServerProcess> StartAsync(string role, IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = CpuPinning.Start(role == "backend" ? "backend" : "proxy", host);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        // Under `dotnet SplitCompute.Benchmarks.dll` the host is dotnet itself; under `dotnet run` it is the apphost.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        foreach (var arg in (string[])["gateway", "--serve", role, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", .. args])
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_gcServer"] = "1";

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {role} process");
        var server = new ServerProcess(process, role);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.StartsWith(ListeningPrefix, StringComparison.Ordinal)) listening.TrySetResult(e.Data[ListeningPrefix.Length..]);
            else server.Append(e.Data);
        };
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            server.Url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the {role} process did not start listening within 60 s. Its output:\n{server.Output}");
        }
        return server;
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length < 64 * 1024) _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
    }
}
