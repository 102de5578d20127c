using System.Diagnostics;
using System.Globalization;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>
/// Sequences per second under concurrent load on the CUDA backend: many clients each sending one sequence (random length
/// 32..128 tokens, random split k in [1, N]) for a fixed time through the worker's <see cref="RequestBatcher"/>, once with a
/// budget that admits one request per forward pass and once with 32 x 128 tokens (what waits runs together, each request
/// at its own k, the hidden state staying on the GPU between the exits).
/// Through the public API, so the hidden state crosses PCIe as in the worker. Random fp16 weights made on the GPU.
/// Usage: cuda-batching [preset] [clients] [seconds]
/// </summary>
internal sealed class CudaBatchingBenchmark : IBenchmark
{
    public string Name => "cuda-batching";

    public string Description => "sequences/s under concurrent load on the GPU: one request per pass vs the worker's dynamic batching";

    public int Run(string[] args)
    {
        var preset = args.Length > 0 ? args[0] : "gpt2-xl";
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        if (CudaBenchmarkDevice.TryOpen() is not { } context) return CudaBenchmarkDevice.SkipExitCode;
        using (context)
        {
            var config = Gpt2Config.Preset(preset);
            using var backend = CudaBackend.CreateRandom(context, config, new CudaBackendOptions(), seed: 5);
            Console.WriteLine($"# device: {context}; {preset} fp16, {clients} clients, {seconds} s per mode, 1 sequence of 32..128 tokens per request, k uniform in [1, {config.NLayer}]");
            var duration = TimeSpan.FromSeconds(seconds);
            // The same worker path both times; a budget of one token makes every pass take exactly one request.
            using var single = new RequestBatcher(backend, new WorkerStats(), TimeSpan.Zero, maxTokens: 1, TimeProvider.System);
            single.Start();
            var alone = Load(clients, duration, config, (batch, k) => single.SubmitAsync(batch, k, Pooling.Mean, CancellationToken.None), warm: backend);
            using var batcher = new RequestBatcher(backend, new WorkerStats(), TimeSpan.Zero, maxTokens: 32 * 128, TimeProvider.System);
            batcher.Start();
            var batched = Load(clients, duration, config, (batch, k) => batcher.SubmitAsync(batch, k, Pooling.Mean, CancellationToken.None), warm: backend);
            Console.WriteLine("mode                      sequences/s   mean_latency_ms   passes");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one request per pass      {alone.PerSecond,11:F0}   {alone.MeanMs,15:F2}   {single.Passes,6}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dynamic batching          {batched.PerSecond,11:F0}   {batched.MeanMs,15:F2}   {batcher.Passes,6}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# batching: {batched.PerSecond / alone.PerSecond:F2}x the throughput, {batched.Count / (double)Math.Max(1, batcher.Passes):F1} sequences per pass on average"));
        }
        return 0;
    }

    private static (double PerSecond, double MeanMs, int Count) Load(int clients, TimeSpan duration, Gpt2Config config, Func<TokenBatch, int, Task> send, CudaBackend warm)
    {
        // Capture the graphs and workspaces of every bucket first so neither mode pays them while timed.
        foreach (var b in new[] { 1, 2, 4, 8, 16, 32 })
        {
            foreach (var t in new[] { 32, 64, 128 })
            {
                var hidden = warm.Embed(new TokenBatch(b, t, new int[b * t], [.. Enumerable.Repeat((byte)1, b * t)]));
                warm.RunLayers(hidden, 0, config.NLayer);
            }
        }
        var count = 0;
        var totalMs = 0.0;
        var stop = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (stop.Elapsed < duration)
            {
                var length = random.Next(32, 129);
                var batch = TokenBatch.FromSequences([[.. Enumerable.Range(0, length).Select(_ => random.Next(config.VocabSize))]]);
                var k = random.Next(1, config.NLayer + 1);
                var clock = Stopwatch.StartNew();
                await send(batch, k).ConfigureAwait(false);
                Interlocked.Increment(ref count);
                lock (stop) totalMs += clock.Elapsed.TotalMilliseconds;
            }
        })).ToArray();
        Task.WaitAll(tasks);
        var elapsed = stop.Elapsed.TotalSeconds;
        return (count / elapsed, totalMs / Math.Max(1, count), count);
    }
}
