using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Gateway.Hosting;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>A cluster whose gateway gives up on a silent worker after 2 s.</summary>
public sealed class FaultCluster() : SplitCluster(["--Gateway:WorkerTimeoutSeconds=2"]);

/// <summary>A cluster whose gateway accepts request bodies up to 64 KiB.</summary>
public sealed class SmallBodyCluster() : SplitCluster([$"--Gateway:MaxRequestBytes={SmallBodyCluster.MaxRequestBytes}"])
{
    public const int MaxRequestBytes = 64 * 1024;
}

/// <summary>Shared pieces of the failure tests.</summary>
internal static class Faults
{
    public static readonly string[] Texts = ["Hello world", "A worker failed; the request did not."];

    /// <summary>The <c>error</c> object of OpenAI's error shape, which every /v1 refusal carries (with all four fields).</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        foreach (var field in new[] { "message", "type", "param", "code" }) Assert.True(error.TryGetProperty(field, out _), $"error.{field} is missing");
        return error.Clone();
    }

    public static string Message(JsonElement error) => error.GetProperty("message").GetString() ?? "";

    public static string? Code(JsonElement error) => error.GetProperty("code").GetString();
}

/// <summary>
/// Workers that fail before answering: one whose connection failed (refused, dropped) is replaced once by another, and only
/// once; one that timed out is not, since it may still be running the request (504).
/// </summary>
public sealed class WorkerFaultTests(FaultCluster cluster) : IClassFixture<FaultCluster>
{
    [Fact]
    public async Task A_worker_that_refuses_connections_is_retried_on_another()
    {
        await AssertRetriedAsync(StubServer.DeadAddress());
    }

    [Fact]
    public async Task A_worker_that_drops_the_connection_mid_request_is_retried_on_another()
    {
        // The connection is gone, so is the worker's work on it (it drops work whose caller left): sending it elsewhere cannot run it twice.
        await using var stub = await StubServer.AbortingAsync();
        await AssertRetriedAsync(stub.Uri.ToString());
        Assert.Equal(2, stub.Count("/v1/embeddings"));
    }

    [Fact]
    public async Task A_worker_that_never_answers_times_out_and_is_not_retried_on_another()
    {
        await using var stub = await StubServer.HangingAsync();
        await using (await FakeWorker.StartAsync(cluster, "a-hanging", stub.Uri.ToString()))
        {
            using var http = cluster.NewHttpClient();
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsync("/v1/embeddings", Requests.Texts(Faults.Texts));
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.Contains("a-hanging did not answer within 2 s; not retried", Faults.Message(await Faults.ErrorAsync(response)), StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed.TotalSeconds, 2, 3.9);  // one 2 s timeout, not two
        }
        Assert.Equal(1, stub.Count("/v1/embeddings"));
    }

    [Fact]
    public async Task A_request_is_retried_only_once_then_answered_503_with_Retry_After()
    {
        string[] dead = ["a-dead-x", "a-dead-y", "a-dead-z"];
        var fakes = new List<IAsyncDisposable>();
        foreach (var id in dead) fakes.Add(await FakeWorker.StartAsync(cluster, id, StubServer.DeadAddress()));
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsync("/v1/embeddings", Requests.Texts(Faults.Texts));
        foreach (var fake in fakes) await fake.DisposeAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var detail = Faults.Message(await Faults.ErrorAsync(response));
        Assert.Equal(2, dead.Count(id => detail.Contains(id, StringComparison.Ordinal)));  // refused connections, tried twice, never a third time
    }

    /// <summary>A fake worker at <paramref name="address"/> is the gateway's first choice; both a split and a plain request still succeed on the real one.</summary>
    private async Task AssertRetriedAsync(string address)
    {
        using var edge = cluster.NewEdgeClient();
        var cloud = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.None);
        await using (await FakeWorker.StartAsync(cluster, "a-failing", address))
        {
            var split = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(1));
            Assert.Equal(SplitCluster.WorkerId, split.Worker);
            Assert.Equal(1, split.K);
            Assert.False(split.FellBack, split.FallbackReason);
            EmbeddingAssert.Close(cloud.Embeddings, split.Embeddings);

            using var http = cluster.NewHttpClient();
            using var response = await http.PostAsync("/v1/embeddings", Requests.Texts(Faults.Texts));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains($"worker=\"{SplitCluster.WorkerId}\"", response.Headers.GetValues(HeaderNames.Decision).Single(), StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            float[][] plain = [.. json.RootElement.GetProperty("data").EnumerateArray()
                .Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())];
            EmbeddingAssert.Close(cloud.Embeddings, plain);
        }
    }
}

/// <summary>Requests the gateway refuses itself, with a status and a problem detail that say why.</summary>
public sealed class RequestValidationTests(SmallBodyCluster cluster) : IClassFixture<SmallBodyCluster>
{
    [Fact]
    public async Task A_body_over_the_limit_is_413_with_the_reason()
    {
        using var http = cluster.NewHttpClient();
        var body = Encoding.UTF8.GetBytes($"{{\"model\":\"{SplitCluster.Model}\",\"input\":\"{new string('a', SmallBodyCluster.MaxRequestBytes)}\"}}");
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var response = await http.PostAsync("/v1/embeddings", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"{SmallBodyCluster.MaxRequestBytes}", Faults.Message(await Faults.ErrorAsync(response)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_with_the_reason()
    {
        using var http = cluster.NewHttpClient();
        var body = Encoding.UTF8.GetBytes($"{{\"model\":\"{SplitCluster.Model}\",\"input\":\"{new string('a', SmallBodyCluster.MaxRequestBytes)}\"}}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StreamContent(new MemoryStream(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;  // no Content-Length: the limit is found while reading
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"{SmallBodyCluster.MaxRequestBytes}", Faults.Message(await Faults.ErrorAsync(response)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_tokens_than_n_positions_is_400_context_length_exceeded_and_exactly_n_positions_is_served()
    {
        using var http = cluster.NewHttpClient();
        using (var tooLong = await http.PostAsync("/v1/embeddings", Requests.Ids([1, 2, 3], [.. Enumerable.Range(0, 1025)])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
            var error = await Faults.ErrorAsync(tooLong);
            Assert.Equal("context_length_exceeded", Faults.Code(error));
            Assert.Equal("input[1]", error.GetProperty("param").GetString());
            var detail = Faults.Message(error);
            Assert.Contains("input[1] is 1025 tokens", detail, StringComparison.Ordinal);
            Assert.Contains("n_positions", detail, StringComparison.Ordinal);
            Assert.Contains("1024", detail, StringComparison.Ordinal);
        }
        using var longest = await http.PostAsync("/v1/embeddings", Requests.Ids([.. Enumerable.Range(0, 1024)]));
        Assert.True(longest.IsSuccessStatusCode, await longest.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_model_is_404_model_not_found()
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsync("/v1/embeddings", System.Net.Http.Json.JsonContent.Create(new { model = "no-such-model", input = "Hello" }));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await Faults.ErrorAsync(response);
        Assert.Equal("model_not_found", Faults.Code(error));
        Assert.Equal("model", error.GetProperty("param").GetString());
        var detail = Faults.Message(error);
        Assert.Contains("no-such-model", detail, StringComparison.Ordinal);
        Assert.Contains(SplitCluster.Model, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"model\": \"tiny-e2e\", \"input\": [\"unterminated")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("{\"model\": \"tiny-e2e\", \"input\": 42}")]
    public async Task A_malformed_body_is_400(string body)
    {
        using var http = cluster.NewHttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/embeddings", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEmpty(Faults.Message(await Faults.ErrorAsync(response)));
    }
}

/// <summary>A gateway whose Redis holds no heartbeat has no worker to send to.</summary>
public sealed class NoWorkerTests
{
    [Fact]
    public async Task No_worker_is_503_with_Retry_After()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", .. redis.GatewayArguments(), "--Gateway:RetryAfterSeconds=3",
            "--Logging:LogLevel:Default=Warning"]);
        try
        {
            await gateway.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(SplitCluster.Address(gateway)) };
            using var response = await http.PostAsync("/v1/embeddings", Requests.Texts("Hello"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
            Assert.Contains("no inference worker", Faults.Message(await Faults.ErrorAsync(response)), StringComparison.Ordinal);
            Assert.True(gateway.Services.GetRequiredService<Gateway.Workers.WorkerRegistry>().Current.RedisHealthy);

            // The official SDKs (retries off; by default they retry a 503 after Retry-After) show the same reason and OpenAI's code.
            var sdk = new OpenAI.Embeddings.EmbeddingClient(SplitCluster.Model, new System.ClientModel.ApiKeyCredential("unused"), new OpenAI.OpenAIClientOptions
            {
                Endpoint = new Uri(http.BaseAddress, "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
            });
            var ex = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => sdk.GenerateEmbeddingsAsync(["Hello"]));
            Assert.Equal(503, ex.Status);
            Assert.Contains("no inference worker", ex.Message, StringComparison.Ordinal);
            Assert.Contains("service_unavailable", ex.Message, StringComparison.Ordinal);
            await OpenAi.NodeSdkErrors.AssertAsync(http.BaseAddress, "unused", ["Hello"], 503, "service_unavailable", "no inference worker");
        }
        finally
        {
            await gateway.StopAsync();
            await gateway.DisposeAsync();
            await redis.DisposeAsync();
        }
    }
}

/// <summary>Redis is only for live load: when it dies the gateway answers cloud-only on the last-known workers, and splits again when it returns.</summary>
public sealed class RedisOutageTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Fact]
    public async Task Requests_never_fail_while_Redis_is_down_and_split_plans_resume_when_it_returns()
    {
        using var edge = cluster.NewEdgeClient();
        var cloud = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.None);
        Assert.Equal(2, (await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2))).K);

        // Steady traffic from a second client through the whole outage; every answer must come and be right.
        var failures = new ConcurrentQueue<string>();
        var answered = 0;
        var answeredPlain = 0;
        var redisDown = 0;
        var answeredWhileDown = 0;  // edge and plain answers while Redis was stopped: the traffic really spanned the outage
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            using var client = cluster.NewEdgeClient();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = await client.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2));
                    if (result.FellBack) failures.Enqueue($"fell back: {result.FallbackReason}");
                    EmbeddingAssert.Close(cloud.Embeddings, result.Embeddings);
                    Interlocked.Increment(ref answered);
                    if (Volatile.Read(ref redisDown) == 1) Interlocked.Increment(ref answeredWhileDown);
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {ex.GetType().Name}: {ex.Message}");
                }
                await Task.Delay(10);
            }
        });

        // And plain OpenAI requests back to back: cheap, so a short window without workers cannot slip between them.
        var plain = Task.Run(async () =>
        {
            using var http = cluster.NewHttpClient();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.PostAsync("/v1/embeddings", Requests.Ids([15496, 995]));
                    if (!response.IsSuccessStatusCode) failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} plain request: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    else
                    {
                        Interlocked.Increment(ref answeredPlain);
                        if (Volatile.Read(ref redisDown) == 1) Interlocked.Increment(ref answeredWhileDown);
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} plain request: {ex.Message}");
                }
                await Task.Delay(2);
            }
        });

        await cluster.Redis.StopAsync();
        await SplitCluster.WaitUntilAsync(() => !cluster.Registry.Current.RedisHealthy, "the gateway noticing Redis is down", 5);
        Volatile.Write(ref redisDown, 1);
        Assert.Single(cluster.Registry.Current.Workers);
        var during = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2));
        Assert.Equal((4, 4), (during.K, during.N));
        Assert.StartsWith("k=4; n=4", during.Decision, StringComparison.Ordinal);
        Assert.Equal(SplitCluster.WorkerId, during.Worker);
        EmbeddingAssert.Close(cloud.Embeddings, during.Embeddings);
        await Task.Delay(2_500);  // longer than StaleAfterMs: the last-known heartbeat is old now, and still used

        Volatile.Write(ref redisDown, 0);
        await cluster.Redis.StartAsync();
        var resumed = Stopwatch.StartNew();
        EdgeResult after;
        while ((after = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2))).K != 2)
        {
            Assert.True(resumed.Elapsed < TimeSpan.FromSeconds(8), $"still cloud-only {resumed.Elapsed} after Redis returned: {after.Decision}");
            await Task.Delay(50);
        }
        EmbeddingAssert.Close(cloud.Embeddings, after.Embeddings);
        await using (var connector = cluster.Redis.Connect())
        {
            var redis = await connector.DatabaseAsync();
            var heartbeat = WorkerHeartbeat.TryParse((string?)await redis.StringGetAsync(WorkerHeartbeat.KeyPrefix + SplitCluster.WorkerId));
            Assert.NotNull(heartbeat);
            await SplitCluster.WaitUntilAsync(() => !redis.StringGet(WorkerHeartbeat.ManifestKey(heartbeat.Model, heartbeat.Revision)).IsNull,
                "the worker republishing its shard manifest", 5);
        }

        await Task.Delay(300);  // a little traffic on the recovered cluster too
        await stop.CancelAsync();
        await Task.WhenAll(traffic, plain);
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        // How many depends on the machine (a loaded CI machine answered 20 plain requests in all once); what matters is that
        // traffic ran through the outage and nothing failed.
        Assert.True(answered >= 1 && answeredWhileDown >= 3,
            $"only {answered} edge and {answeredPlain} plain requests were answered, {answeredWhileDown} of them while Redis was down");
    }
}

/// <summary>A shard whose bytes do not match its SHA-256 is never run: not when the worker serves it, not when it rots in the edge cache.</summary>
public sealed class ShardCorruptionTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private ModelHost Host => cluster.Workers[0].Services.GetRequiredService<ModelHost>();

    [Fact]
    public async Task A_served_shard_with_the_wrong_sha256_is_fetched_twice_then_the_cloud_answers()
    {
        using var edgeCloud = cluster.NewEdgeClient();
        var cloud = await edgeCloud.EmbedTextsAsync(Faults.Texts, SplitPreference.None);
        var layer3 = Host.Manifest!.Shards[3];
        var path = Host.Shards.PathFor(layer3.Sha256);
        Assert.StartsWith(Path.GetFullPath(cluster.ShardDirectory), path, StringComparison.Ordinal);
        var original = Corrupt(path);
        try
        {
            var cache = cluster.NewCacheDirectory();
            var recorder = new RecordingHandler();
            using var edge = cluster.NewEdgeClient(cache: cache, handler: recorder);
            var result = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2));
            Assert.True(result.FellBack, "the corrupted shard was run");
            Assert.Contains("sha256", result.FallbackReason, StringComparison.Ordinal);
            Assert.Contains(layer3.Sha256, result.FallbackReason, StringComparison.Ordinal);
            Assert.Equal(4, result.K);
            Assert.Equal("cloud", result.Backend);
            EmbeddingAssert.Close(cloud.Embeddings, result.Embeddings);
            Assert.Equal(2, recorder.Count(layer3.Url));
            var left = Directory.EnumerateFiles(cache).Select(Path.GetFileName).ToList();
            Assert.DoesNotContain(left, f => f!.Contains(layer3.Sha256, StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache, ".partial")));
        }
        finally
        {
            Restore(path, original);
        }
        Assert.Equal(layer3.Sha256, Sha256Of(path));
    }

    [Fact]
    public async Task A_cached_shard_that_rots_is_loaded_while_hashed_never_run_fetched_again_and_the_edge_answers()
    {
        using var edgeCloud = cluster.NewEdgeClient();
        var cloud = await edgeCloud.EmbedTextsAsync(Faults.Texts, SplitPreference.None);
        var cache = cluster.NewCacheDirectory();
        using (var warm = cluster.NewEdgeClient(cache: cache))
        {
            var first = await warm.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2));
            Assert.False(first.FellBack, first.FallbackReason);
        }
        var layer3 = Host.Manifest!.Shards[3];
        var cached = Directory.EnumerateFiles(cache).Single(f => Path.GetFileName(f).StartsWith(layer3.Sha256, StringComparison.Ordinal));
        Corrupt(cached);  // same name, same length: only the hash can tell

        var recorder = new RecordingHandler();
        using var edge = cluster.NewEdgeClient(cache: cache, handler: recorder);  // a new process: hashes what it finds as it loads it
        var result = await edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2));
        Assert.False(result.FellBack, result.FallbackReason);
        Assert.Equal(2, result.K);
        EmbeddingAssert.Close(cloud.Embeddings, result.Embeddings);  // the rotten weights never ran
        Assert.Equal(1, recorder.Count(layer3.Url));
        Assert.Equal(layer3.Sha256, Sha256Of(cached));
    }

    [Fact]
    public async Task A_cache_file_corrupted_on_disk_is_detected_and_downloaded_again()
    {
        var entries = Host.Manifest!.Shards.Take(2).ToList();
        var directory = cluster.NewCacheDirectory();
        using var http = new HttpClient();
        IReadOnlyList<string> paths;
        using (var first = await new ShardCache(directory).EnsureAsync(http, cluster.GatewayUri, entries))
        {
            Assert.Equal(entries.Sum(e => e.Bytes), first.DownloadedBytes);
            paths = first.Paths;
        }

        Corrupt(paths[0]);
        // A new process (a new cache over the same directory) re-verifies what it finds before using it.
        using var second = await new ShardCache(directory).EnsureAsync(http, cluster.GatewayUri, entries);
        Assert.Equal(entries[0].Bytes, second.DownloadedBytes);
        var again = second.Paths;
        Assert.Equal(paths, again);
        Assert.Equal(entries[0].Sha256, Sha256Of(again[0]));
        Assert.Equal(entries[1].Sha256, Sha256Of(again[1]));
    }

    [Fact]
    public async Task A_partial_download_resumes_through_the_real_gateway_and_worker_with_Range()
    {
        var entry = Host.Manifest!.Shards[1];
        var directory = cluster.NewCacheDirectory();
        _ = new ShardCache(directory);  // lays out the directory
        var original = await File.ReadAllBytesAsync(Host.Shards.PathFor(entry.Sha256));
        var half = original.Length / 2;
        await File.WriteAllBytesAsync(Path.Combine(directory, ".partial", entry.Sha256 + ".part"), original[..half]);  // a crashed download

        var ranges = new List<string?>();
        using var http = new HttpClient(new RangeRecorder(ranges));
        using var lease = await new ShardCache(directory).EnsureAsync(http, cluster.GatewayUri, [entry]);

        Assert.Equal([$"bytes={half}-"], ranges);
        Assert.Equal(original.Length - half, lease.DownloadedBytes);
        Assert.Equal(entry.Sha256, Sha256Of(lease.Paths[0]));
    }

    /// <summary>Records the Range header of every request the cache sends.</summary>
    private sealed class RangeRecorder(List<string?> ranges) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (ranges) ranges.Add(request.Headers.Range?.ToString());
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Flips 16 bytes in the middle of the file in place (same name, same length); returns them for <see cref="Restore"/>.</summary>
    private static (long Offset, byte[] Bytes) Corrupt(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var offset = file.Length / 2;
        var bytes = new byte[16];
        file.Position = offset;
        file.ReadExactly(bytes);
        file.Position = offset;
        file.Write([.. bytes.Select(b => (byte)~b)]);
        return (offset, bytes);
    }

    private static void Restore(string path, (long Offset, byte[] Bytes) original)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = original.Offset;
        file.Write(original.Bytes);
    }

    private static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}

/// <summary>A frame that arrives cut short or garbled is a clear client error, never wrong embeddings.</summary>
public sealed class BrokenFrameTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Theory]
    [InlineData(2)]     // a hidden state, the tail to run on the edge
    [InlineData(-1)]    // finished embeddings (cloud-only)
    public async Task A_truncated_or_malformed_frame_throws_ProtocolException(int k)
    {
        var frame = await RealFrameAsync(k);
        var broken = new List<byte[]>();
        foreach (var cut in new[] { 0, 3, 15, 16, 24, 100, frame.Length / 2, frame.Length - 4, frame.Length - 1 }) broken.Add(frame[..cut]);
        broken.Add([.. frame, 0]);                          // trailing byte
        var badMagic = frame.ToArray();
        badMagic[0] = (byte)'X';
        broken.Add(badMagic);
        var badHeader = frame.ToArray();
        badHeader[FrameFormatHeaderStart + 1] = (byte)'#';  // the JSON header no longer parses
        broken.Add(badHeader);

        byte[] serving = [];
        await using var stub = await StubServer.StartAsync(async context =>
        {
            context.Response.ContentType = MediaTypes.HiddenState;
            await context.Response.Body.WriteAsync(serving);
        });
        using var edge = cluster.NewEdgeClient(stub.Uri);
        foreach (var body in broken)
        {
            serving = body;
            var ex = await Assert.ThrowsAsync<ProtocolException>(() => edge.EmbedTextsAsync(Faults.Texts, k < 0 ? SplitPreference.None : SplitPreference.Force(k)));
            Assert.Contains("not a valid hidden-state frame", ex.Message, StringComparison.Ordinal);
        }
        Assert.Equal(broken.Count, stub.Requests);  // no silent retry, no fallback to the same broken source
    }

    [Fact]
    public async Task A_frame_cut_off_mid_transfer_fails_the_request()
    {
        var frame = await RealFrameAsync(2);
        await using var stub = await StubServer.StartAsync(async context =>
        {
            context.Response.ContentType = MediaTypes.HiddenState;
            context.Response.ContentLength = frame.Length;
            await context.Response.Body.WriteAsync(frame.AsMemory(0, frame.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        using var edge = cluster.NewEdgeClient(stub.Uri);
        await Assert.ThrowsAsync<HttpRequestException>(() => edge.EmbedTextsAsync(Faults.Texts, SplitPreference.Force(2)));
    }

    private const int FrameFormatHeaderStart = Protocol.Frames.FrameFormat.PrefixLength;

    /// <summary>A valid frame from the real gateway: a hidden state after k layers, or (k &lt; 0) finished embeddings.</summary>
    private async Task<byte[]> RealFrameAsync(int k)
    {
        var recorder = new RecordingHandler();
        using var edge = cluster.NewEdgeClient(handler: recorder);
        var result = await edge.EmbedTextsAsync(Faults.Texts, k < 0 ? SplitPreference.None : SplitPreference.Force(k));
        Assert.Equal(k < 0 ? 4 : k, result.K);
        var frame = recorder.LastEmbeddingsBody!;
        Assert.True(frame.Length > 200, $"frame of {frame.Length} bytes");
        return frame;
    }
}
