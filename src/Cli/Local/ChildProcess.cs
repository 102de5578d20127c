using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SplitCompute.Cli.Local;

/// <summary>A child process whose output goes to a log file; stopped with SIGTERM first (graceful), then killed.</summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var log = new StreamWriter(Path.Combine(logDirectory, $"{name}.log"), append: false) { AutoFlush = true };
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name} ({fileName})");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, log);
    }

    /// <summary>Output may still arrive while the log is being closed; it is dropped then, never thrown on a pool thread.</summary>
    private static void Append(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            if (log.BaseStream is { CanWrite: true }) log.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, 15);  // SIGTERM: let the service deregister and drain
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        if (_process.HasExited) _process.WaitForExit();  // drains the asynchronous output readers
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
