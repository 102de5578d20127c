using System.Diagnostics;
using System.Globalization;
using SplitCompute.Benchmarks.Gateway;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>`splitcompute up --workers 1` on a seeded model of a preset, as a child process; stopped with SIGTERM on dispose.</summary>
internal sealed partial class LocalUp : IDisposable
{
    private readonly Process _up;

    private LocalUp(Process up, Uri gateway) => (_up, Gateway) = (up, gateway);

    public Uri Gateway { get; }

    public static async Task<LocalUp> StartAsync(string home, string preset)
    {
        var model = Path.Combine(home, preset);
        RandomModelWriter.Write(model, Gpt2Config.Preset(preset), seed: 1);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"), "up", "--model", model, "--workers", "1",
                     "--port", RedisServerProcess.FreePort().ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        start.Environment["SPLITCOMPUTE_HOME"] = home;
        var up = Process.Start(start) ?? throw new InvalidOperationException("could not start splitcompute up");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (await up.StandardOutput.ReadLineAsync(cancel.Token).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("gateway: ", StringComparison.Ordinal)) continue;
            _ = up.StandardOutput.ReadToEndAsync();  // keep draining so up never blocks on a full pipe
            _ = up.StandardError.ReadToEndAsync();
            return new LocalUp(up, new Uri(line["gateway: ".Length..].Split(' ')[0]));
        }
        throw new InvalidOperationException($"up exited before printing its gateway: {await up.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
    }

    public void Dispose()
    {
        if (!_up.HasExited)
        {
            _ = kill(_up.Id, 15);
            if (!_up.WaitForExit(TimeSpan.FromSeconds(30))) _up.Kill(entireProcessTree: true);
        }
        _up.Dispose();
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
