using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tests.Shards;

/// <summary>
/// A real Kestrel server on loopback serving content-addressed blobs at /v1/shards/{sha256} the way workers do (ETag = hash,
/// Range with If-Range), with faults to order: drop the connection after N bytes, or send slowly. Records every request.
/// </summary>
internal sealed partial class ShardServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dropAfter = new(StringComparer.Ordinal);
    private int _inFlight;
    private int _maxInFlight;

    private ShardServer()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/v1/shards/{sha256}", ServeAsync);
    }

    /// <summary>
    /// Every GET, logged when it arrives (a client can finish reading a response before its handler returns): which shard, its
    /// Range header (or null), and the body bytes handed to Kestrel so far (counted before each write, so a client never holds
    /// bytes not yet counted).
    /// </summary>
    public ConcurrentQueue<ShardRequest> Log { get; } = new();

    /// <summary>Seconds to pause after each 16 KiB chunk (0: full speed).</summary>
    public double ChunkDelaySeconds { get; set; }

    public int MaxConcurrentRequests => Volatile.Read(ref _maxInFlight);

    public Uri Uri => new(_app.Urls.First());

    public static async Task<ShardServer> StartAsync()
    {
        var server = new ShardServer();
        await server._app.StartAsync();
        return server;
    }

    /// <summary>Serves <paramref name="content"/> and returns its manifest entry.</summary>
    public ShardEntry Add(byte[] content, int layer)
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        _blobs[sha256] = content;
        return new ShardEntry { Kind = "layer", Layer = layer, Url = $"/v1/shards/{sha256}", Sha256 = sha256, Bytes = content.Length, DType = "f32", Tensors = [$"h.{layer}.mlp.c_fc.weight"] };
    }

    /// <summary>A blob of <paramref name="length"/> seeded random bytes.</summary>
    public static byte[] RandomBlob(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The next request for <paramref name="sha256"/> sends <paramref name="bytes"/> body bytes, then the connection is cut.</summary>
    public void DropNextAfter(string sha256, long bytes) => _dropAfter[sha256] = bytes;

    public int Gets(string sha256) => Log.Count(l => l.Sha256 == sha256);

    private async Task ServeAsync(HttpContext context, string sha256)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = Volatile.Read(ref _maxInFlight); now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = Volatile.Read(ref _maxInFlight))
        {
        }
        var sent = 0L;
        string? rangeHeader = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null;
        var logged = new ShardRequest(sha256, rangeHeader);
        Log.Enqueue(logged);
        try
        {
            if (!_blobs.TryGetValue(sha256, out var blob))
            {
                context.Response.StatusCode = 404;
                return;
            }
            var etag = $"\"{sha256}\"";
            context.Response.Headers.ETag = etag;
            context.Response.Headers.AcceptRanges = "bytes";
            var start = 0L;
            var ifRange = context.Request.Headers.IfRange.ToString();
            if (rangeHeader is not null && (ifRange.Length == 0 || ifRange == etag) && RangePattern().Match(rangeHeader) is { Success: true } m)
            {
                start = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                if (start >= blob.Length)
                {
                    context.Response.StatusCode = 416;
                    return;
                }
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes {start}-{blob.Length - 1}/{blob.Length}";
            }
            context.Response.ContentLength = blob.Length - start;
            var limit = _dropAfter.TryRemove(sha256, out var drop) ? drop : long.MaxValue;
            for (var offset = start; offset < blob.Length; offset += 16 * 1024)
            {
                var count = (int)Math.Min(16 * 1024, blob.Length - offset);
                if (sent + count > limit) count = (int)(limit - sent);
                logged.Add(count);
                await context.Response.Body.WriteAsync(blob.AsMemory((int)offset, count), context.RequestAborted);
                sent += count;
                if (sent >= limit)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    context.Abort();
                    return;
                }
                if (ChunkDelaySeconds > 0)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(TimeSpan.FromSeconds(ChunkDelaySeconds), context.RequestAborted);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>One GET as the server saw it.</summary>
    internal sealed class ShardRequest(string sha256, string? range)
    {
        private long _bytesSent;

        public string Sha256 { get; } = sha256;

        public string? Range { get; } = range;

        public long BytesSent => Interlocked.Read(ref _bytesSent);

        public void Add(long bytes) => Interlocked.Add(ref _bytesSent, bytes);
    }

    [GeneratedRegex(@"^bytes=(\d+)-$")]
    private static partial Regex RangePattern();

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
