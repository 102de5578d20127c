using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// One product service (`splitcompute worker ...` or `splitcompute gateway ...`) as its own OS process on a fixed loopback
/// port, so a test can kill it (SIGKILL: no goodbye, as a crash) and start it again on the same address.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string[] _args;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public ServiceProcess(string name, int port, params string[] args)
    {
        Name = name;
        Port = port;
        _args = args;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public int? ProcessId => _process?.Id;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"));
        foreach (var arg in _args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{Port}");
        start.Environment["DOTNET_gcServer"] = "0";  // small heaps: several services share a 2-core test machine
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting:\n{Output}");
            try
            {
                if ((await http.GetAsync(new Uri(Url, "/alive"))).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (clock.Elapsed > (timeout ?? TimeSpan.FromMinutes(1))) throw new TimeoutException($"{Name} did not answer /alive:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: in-flight requests die with the process, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>Resident memory of the process now (Linux /proc), for bounded-memory checks.</summary>
    public long ResidentBytes()
    {
        if (_process is not { } process) return 0;
        process.Refresh();
        return process.WorkingSet64;
    }

    /// <summary>
    /// Private writable memory the process has mapped (VmData in /proc): what the runtime has committed, touched or not. A
    /// buffer allocated and zeroed lazily by the kernel shows here long before it shows in the resident set.
    /// </summary>
    public long CommittedBytes()
    {
        if (_process is not { } process) return 0;
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmData:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(7).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => new(KillAsync());
}
