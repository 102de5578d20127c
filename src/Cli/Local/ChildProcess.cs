using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SplitCompute.Cli.Local;

/// <summary>
/// A child process whose output goes to a log file; stopped with SIGTERM first (graceful), then killed. It can be started again
/// with the same command line (same port) after it died, appending to the same log.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly string _fileName;
    private readonly string[] _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StreamWriter _log;
    private Process _process;

    private ChildProcess(string name, string fileName, string[] arguments, IReadOnlyDictionary<string, string> environment, StreamWriter log)
    {
        _environment = environment;
        Name = name;
        _fileName = fileName;
        _arguments = arguments;
        _log = log;
        _process = Launch();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <param name="environment">Added to this process's environment (secrets go here, not in arguments `ps` shows).</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string logDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(logDirectory);
        var log = new StreamWriter(Path.Combine(logDirectory, $"{name}.log"), append: false) { AutoFlush = true };
        return new ChildProcess(name, fileName, [.. arguments], environment ?? new Dictionary<string, string>(), log);
    }

    /// <summary>Starts the same command again after the process has exited (a crash, or a kill from outside).</summary>
    public void Restart()
    {
        if (!_process.HasExited) throw new InvalidOperationException($"{Name} (pid {_process.Id}) is still running");
        _process.WaitForExit();
        _process.Dispose();
        Append(_log, $"---- {Name} restarted {DateTimeOffset.UtcNow:O} ----");
        _process = Launch();
    }

    private Process Launch()
    {
        var start = new ProcessStartInfo(_fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in _environment) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Name} ({_fileName})");
        var log = _log;
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
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
