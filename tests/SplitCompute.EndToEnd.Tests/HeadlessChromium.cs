using System.Diagnostics;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>Debian's Chromium, headless, as the launcher installs it: renders a page (scripts run) and returns its DOM or a screenshot.</summary>
internal static class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    public static async Task<string> DumpDomAsync(Uri page, TimeSpan budget) =>
        (await RunAsync(page, budget, "--dump-dom")).Stdout;

    public static async Task ScreenshotAsync(Uri page, TimeSpan budget, string pngPath) =>
        await RunAsync(page, budget, $"--screenshot={pngPath}", "--window-size=1280,900", "--hide-scrollbars");

    private static async Task<(string Stdout, string Stderr)> RunAsync(Uri page, TimeSpan budget, params string[] extra)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing; ./splitcompute installs Debian's chromium");
        var profile = Directory.CreateTempSubdirectory("splitcompute-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
            // Without the networking flags Chromium tries Google's hosts on this closed network.
            foreach (var arg in new[]
                     {
                         "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}",
                         $"--virtual-time-budget={(int)budget.TotalMilliseconds}",
                     }.Concat(extra).Append(page.AbsoluteUri))
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (await stdout, await stderr);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
