using System.Collections.Concurrent;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// Clients that keep sending embedding requests (random text, random split: forced k, cloud-only or the gateway's pick) until
/// stopped, checking every answer against the cloud-only reference taken before the faults began. A request that throws or
/// answers a different embedding is a failure, reported with its reason.
/// </summary>
internal sealed class LoadDriver
{
    private static readonly string[] Texts = ["The quick brown fox.", "Split me at any layer", "Hello, world!", "Load under faults."];

    private readonly LiveCluster _cluster;
    private readonly Dictionary<string, float[]> _reference = [];
    private readonly ConcurrentQueue<string> _failures = new();
    private int _completed;
    private int _split;

    public LoadDriver(LiveCluster cluster) => _cluster = cluster;

    public int Completed => Volatile.Read(ref _completed);

    public int Split => Volatile.Read(ref _split);

    public IReadOnlyCollection<string> Failures => _failures;

    public async Task TakeReferenceAsync()
    {
        using var client = _cluster.NewEdgeClient();
        foreach (var text in Texts) _reference[text] = (await client.EmbedTextsAsync([text], SplitPreference.None)).Embeddings[0];
    }

    /// <summary>Runs <paramref name="clients"/> loops until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientLoopAsync(i, stop))));

    private async Task ClientLoopAsync(int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        using var client = _cluster.NewEdgeClient();
        while (!stop.IsCancellationRequested)
        {
            var text = Texts[random.Next(Texts.Length)];
            var split = random.Next(3) switch
            {
                0 => SplitPreference.None,
                1 => SplitPreference.Auto,
                _ => SplitPreference.Force(random.Next(LiveCluster.Layers + 1)),
            };
            try
            {
                var result = await client.EmbedTextsAsync([text], split);
                var error = result.Embeddings[0].Zip(_reference[text]).Max(p => Math.Abs(p.First - p.Second));
                if (error > 1e-4) _failures.Enqueue($"'{text}' split {split} (k={result.K}): max error {error}");
                if (result.K < result.N) Interlocked.Increment(ref _split);
                Interlocked.Increment(ref _completed);
            }
            catch (Exception ex)
            {
                _failures.Enqueue($"'{text}' split {split}: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }
}
