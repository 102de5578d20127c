using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.Protocol.Manifests;
using SplitCompute.RedisConnection;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// Makes the fast backend look like an inference worker to the gateway: its shard manifest (fake but valid hashes and sizes) and a
/// heartbeat refreshed every 200 ms with a 2 s TTL, exactly as InferenceWorker's HeartbeatPublisher writes them.
/// </summary>
internal sealed class FakeWorkerHeartbeat : IAsyncDisposable
{
    public const string WorkerId = "bench-w1";
    public const string Revision = "bench-rev-1";
    private readonly RedisConnector _redis;
    private readonly string _address;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public FakeWorkerHeartbeat(string redisEndpoint, string backendAddress)
    {
        _redis = new RedisConnector(new RedisSettings { Endpoint = redisEndpoint, ClientName = "splitcompute-bench-worker" });
        _address = backendAddress;
    }

    /// <summary>A gpt2-shaped manifest: 12 layers x 768, f32 shards of the real sizes, sha256 of "layer-i" as the hashes.</summary>
    public static ShardManifest Manifest(string model, string revision, int layers, int channels, int heads)
    {
        var layerBytes = ((12L * channels * channels) + (13L * channels)) * 4;
        return new ShardManifest
        {
            Model = model,
            Revision = revision,
            NLayer = layers,
            NEmbd = channels,
            NHead = heads,
            DType = ShardDTypes.F32,
            LayerNormEpsilon = 1e-5,
            Shards = [.. Enumerable.Range(0, layers).Select(l => Entry(ShardKinds.Layer, l, $"{model}/{revision}/layer-{l}", layerBytes))],
            FinalNorm = Entry(ShardKinds.FinalNorm, null, $"{model}/{revision}/final-norm", 2L * channels * 4),
        };
    }

    private static ShardEntry Entry(string kind, int? layer, string seed, long bytes)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
        string[] tensors = layer is int l
            ? [$"h.{l}.ln_1.weight", $"h.{l}.ln_1.bias", $"h.{l}.attn.c_attn.weight", $"h.{l}.attn.c_attn.bias", $"h.{l}.attn.c_proj.weight",
               $"h.{l}.attn.c_proj.bias", $"h.{l}.ln_2.weight", $"h.{l}.ln_2.bias", $"h.{l}.mlp.c_fc.weight", $"h.{l}.mlp.c_fc.bias",
               $"h.{l}.mlp.c_proj.weight", $"h.{l}.mlp.c_proj.bias"]
            : ["ln_f.weight", "ln_f.bias"];
        return new ShardEntry { Kind = kind, Layer = layer, Url = $"/v1/shards/{sha}", Sha256 = sha, Bytes = bytes, DType = ShardDTypes.F32, Tensors = tensors };
    }

    public ShardManifest PublishedManifest { get; } = Manifest(GatewayBenchmark.ModelName, Revision, 12, 768, 12);

    public WorkerHeartbeat Snapshot() => new()
    {
        WorkerId = WorkerId,
        Address = _address,
        Model = GatewayBenchmark.ModelName,
        Revision = Revision,
        NLayer = 12,
        NEmbd = 768,
        NPositions = 1024,
        Device = "cpu",
        DeviceName = "benchmark fast backend (canned answers)",
        Capacity = 4,
        MsPerLayerToken = 0.05,
        EmbedMsPerToken = 0.001,
        BacklogMs = 0,
        UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    public async Task StartAsync()
    {
        PublishedManifest.Validate();
        await (await _redis.DatabaseAsync().ConfigureAwait(false)).StringSetAsync(WorkerHeartbeat.ManifestKey(GatewayBenchmark.ModelName, Revision), System.Text.Json.JsonSerializer.Serialize(PublishedManifest)).ConfigureAwait(false);
        await PublishAsync(CancellationToken.None).ConfigureAwait(false);
        _loop = LoopAsync(_stop.Token);
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await PublishAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    // Retried on the next tick; a heartbeat is fresh for 2 s.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PublishAsync(CancellationToken cancellationToken) =>
        await (await _redis.DatabaseAsync().ConfigureAwait(false))
            .StringSetAsync(WorkerHeartbeat.KeyPrefix + WorkerId, Snapshot().ToJson(), TimeSpan.FromMilliseconds(2_000)).WaitAsync(cancellationToken).ConfigureAwait(false);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{WorkerId} at {_address}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        await _redis.DisposeAsync().ConfigureAwait(false);
    }
}
