using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SplitCompute.Tokenization;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Texts are tokenized once, at the gateway: a worker whose tokenizer has the gateway's fingerprint gets the token ids; one
/// with another tokenizer gets the texts as sent (ids from a different vocabulary would be a wrong embedding, silently).
/// </summary>
public sealed class TokenForwardingTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "tokenized once"];

    [Fact]
    public async Task A_worker_with_the_gateways_tokenizer_gets_token_ids()
    {
        var body = await BodyAtWorkerAsync(edit: null);
        var expected = Gpt2Tokenizer.CreateDefault();
        var input = body.GetProperty("input").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToList();
        Assert.Equal(Texts.Select(expected.Encode), input);
        Assert.Equal(SplitCluster.Model, body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("normalize").GetBoolean());  // every other field as the client sent it
        Assert.Equal("base64", body.GetProperty("encoding_format").GetString());
    }

    [Fact]
    public async Task A_worker_with_another_tokenizer_gets_the_texts()
    {
        var body = await BodyAtWorkerAsync(edit: h => h with { Tokenizer = new string('0', 64) });
        Assert.Equal(Texts, body.GetProperty("input").EnumerateArray().Select(s => s.GetString()!));
    }

    private async Task<JsonElement> BodyAtWorkerAsync(Func<Protocol.Heartbeats.WorkerHeartbeat, Protocol.Heartbeats.WorkerHeartbeat>? edit)
    {
        var bodies = new ConcurrentQueue<byte[]>();
        await using var stub = await StubServer.StartAsync(async context =>
        {
            if (context.Request.Path == "/v1/embeddings")
            {
                using var copy = new MemoryStream();
                await context.Request.Body.CopyToAsync(copy);
                bodies.Enqueue(copy.ToArray());
            }
            context.Response.StatusCode = 200;
            await context.Response.WriteAsync("{}");
        });
        await using (await FakeWorker.StartAsync(cluster, "a-tokens", stub.Uri.ToString(), edit))
        {
            using var http = cluster.NewHttpClient();
            using var response = await http.PostAsync("/v1/embeddings", JsonContent(new { model = SplitCluster.Model, input = Texts, normalize = true, encoding_format = "base64" }));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return JsonDocument.Parse(Assert.Single(bodies)).RootElement.Clone();
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
