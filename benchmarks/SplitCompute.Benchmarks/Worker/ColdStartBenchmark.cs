using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SplitCompute.Model.Init;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Workers;

namespace SplitCompute.Benchmarks.Worker;

/// <summary>
/// The worker's first request after start against its steady state: starts the real worker process (`splitcompute worker`,
/// as `up` and the images do; Redis unreachable, which only delays nothing but the heartbeat), waits until its readiness check (/health) says ready,
/// then times a split request (frame, k = N/2) and a cloud-only request (JSON, k = N), each first and then steady.
/// Usage: worker-cold-start [preset = gpt2] [starts = 3] [steady = 20]. Prints figures; asserts nothing.
/// </summary>
internal sealed class ColdStartBenchmark : IBenchmark
{
    public string Name => "worker-cold-start";

    public string Description => "first request after a worker starts vs steady state (split frame and cloud-only JSON)";

    public int Run(string[] args)
    {
        var preset = args.ElementAtOrDefault(0) ?? "gpt2";
        var starts = int.Parse(args.ElementAtOrDefault(1) ?? "3", CultureInfo.InvariantCulture);
        var steady = int.Parse(args.ElementAtOrDefault(2) ?? "20", CultureInfo.InvariantCulture);
        var config = SplitCompute.Model.Config.Gpt2Config.Preset(preset);
        var model = Path.Combine(Path.GetTempPath(), $"splitcompute-cold-start-{preset}");
        if (!File.Exists(Path.Combine(model, "model.safetensors"))) RandomModelWriter.Write(model, config, seed: 1);
        var cli = Path.Combine(AppContext.BaseDirectory, "splitcompute.dll");
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"# worker cold start: {preset} ({config.NLayer} layers x {config.NEmbd}), {Environment.ProcessorCount} cores, {steady} steady requests per kind"));
        Console.WriteLine("start  ready-ms  first-split  steady-split  ratio  first-full  steady-full  ratio  (client ms; worker's own total in brackets)");
        for (var s = 0; s < starts; s++) OneStart(cli, model, config.NLayer, steady, s + 1).GetAwaiter().GetResult();
        return 0;
    }

    private static async Task OneStart(string cli, string model, int n, int steady, int index)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[cli, "worker", $"--Worker:ModelDirectory={model}", $"--urls=http://127.0.0.1:{port}", $"--Redis:Endpoint=127.0.0.1:{FreePort()}",
                     "--Logging:LogLevel:Default=Warning", "--Worker:ShardDirectory=" + Path.Combine(model, "shards")])
            start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the worker");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException($"the worker exited with {process.ExitCode}");
                try
                {
                    if ((await http.GetAsync("/health")).IsSuccessStatusCode) break;  // ready; also opens the connection the requests reuse
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(20);
            }
            var readyMs = clock.Elapsed.TotalMilliseconds;
            var firstSplit = await Time(http, n / 2, 0);
            var firstFull = await Time(http, n, 1);
            var splits = new List<(double, double)>();
            var fulls = new List<(double, double)>();
            for (var i = 0; i < steady; i++)
            {
                splits.Add(await Time(http, n / 2, 2 + (2 * i)));
                fulls.Add(await Time(http, n, 3 + (2 * i)));
            }
            var (split, splitWorker) = (Median(splits.Select(x => x.Item1)), Median(splits.Select(x => x.Item2)));
            var (full, fullWorker) = (Median(fulls.Select(x => x.Item1)), Median(fulls.Select(x => x.Item2)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{index,5}  {readyMs,8:F0}  {firstSplit.Client,6:F1} [{firstSplit.Worker,6:F1}]  {split,6:F1} [{splitWorker,6:F1}]  {firstSplit.Client / split,5:F2}  {firstFull.Client,6:F1} [{firstFull.Worker,6:F1}]  {full,6:F1} [{fullWorker,6:F1}]  {firstFull.Client / full,5:F2}"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>One request; client-side ms and the worker's own total from X-SplitCompute-Worker-Ms (NaN when absent).</summary>
    private static async Task<(double Client, double Worker)> Time(HttpClient http, int k, int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = new StringContent($"{{\"input\": \"request {i}: the worker answers this text at its split point, quickly and exactly\"}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-SplitCompute-K", k.ToString(CultureInfo.InvariantCulture));
        request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"k = {k}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        var worker = response.Headers.TryGetValues(HeaderNames.WorkerMs, out var values) && WorkerTiming.TryParse(values.First(), out var timing) ? timing.TotalMs : double.NaN;
        return (ms, worker);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
