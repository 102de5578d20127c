using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// "No 500 ever from any input" (issue 21): generated requests to POST /v1/feedback and POST /v1/embeddings on the real gateway
/// (keys on), sent as raw bytes so that headers and framing can be wrong too (duplicated or garbled headers, bodies shorter or
/// longer than declared, broken chunking), and feedback bodies whose numbers are hostile against decisions that really exist,
/// so the profile maths runs on them. Every one must be answered, and never with a 5xx.
/// </summary>
public sealed class NoServerErrorFuzzTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private static readonly string[] Numbers =
    [
        "5e-324", "4.9E-324", "-0", "0", "-0.0", "1e-7", "0.001", "0.0009", "600000", "600000.0001", "1e308", "1E400", "-1e-320",
        "1.7976931348623157e308", "2.2250738585072014E-308", "123456789012345678901234567890", "NaN", "\"NaN\"", "Infinity", "-Infinity",
        "[]", "{}", "null", "true", "\"1\"", "1e", "0x10", "01", "[1,2,3]",
    ];

    private static readonly string[] Fields =
        ["request_ms", "download_ms", "downloaded_bytes", "edge_ms", "total_ms", "load_ms", "loaded_bytes", "k", "n", "fell_back", "weights_loaded"];

    [Fact]
    public async Task Generated_feedback_with_hostile_numbers_for_real_decisions_never_gets_a_5xx()
    {
        var (key, _) = await cluster.NewKeyAsync(name: "fuzz feedback");
        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory())
        {
            ApiKey = key, Gflops = 50, DownlinkMbps = 10_000, SendFeedback = false, Prefetch = false,
        });
        var edit = Gen.Elements(Fields).SelectMany(_ => Gen.Elements(Numbers), (f, v) => (f, v));
        var edits = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(edit, n));
        for (var round = 0; round < 8; round++)
        {
            var split = await edge.EmbedTextsAsync([$"fuzz round {round}"], SplitPreference.Force(2));
            var decision = DecisionHeader.TryParse(split.Decision)!.Id!;
            var valid = Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(new EdgeFeedback(decision, SplitCluster.Model, 2, split.N, 5, 0, 0, 3, 9, false)));
            // Hostile bodies first; the last of each round is the valid one, so every round ends with a claim.
            foreach (var body in edits.Sample(25).Select(e => e.Aggregate(valid, (json, x) => Replace(json, x.f, x.v))).Append(valid))
            {
                var request = Request("/v1/feedback", key, [$"{HeaderNames.Client}: {edge.ClientId}", "Content-Type: application/json"], Encoding.UTF8.GetBytes(body));
                var status = await RawHttp.StatusAsync(cluster.GatewayUri, request, body);
                Assert.True(status < 500, $"feedback {body}: answered {status}");
            }
        }
        var after = await edge.EmbedTextsAsync(["after the fuzz"], SplitPreference.Auto);
        Assert.InRange(after.K, 0, after.N);
    }

    [Fact]
    public async Task Generated_headers_and_framing_on_feedback_and_embeddings_never_get_a_5xx()
    {
        var (key, _) = await cluster.NewKeyAsync(name: "fuzz framing");
        var path = Gen.Elements("/v1/feedback", "/v1/embeddings");
        var contentType = Gen.Elements("Content-Type: application/json", "Content-Type: application/json; charset=utf-8", "Content-Type: text/plain",
            "Content-Type: application/json\r\nContent-Type: text/plain", "Content-Type:", "Content-Type: application/json; \u0001=\u00ff", "");
        var client = Gen.Elements($"{HeaderNames.Client}: 0123456789abcdef0123456789abcdef", $"{HeaderNames.Client}:", $"{HeaderNames.Client}: {new string('a', 9000)}",
            $"{HeaderNames.Client}: \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
            $"{HeaderNames.Client}: 0123456789abcdef0123456789abcdef\r\n{HeaderNames.Client}: fedcba9876543210fedcba9876543210", $"{HeaderNames.Client}: ABCDEF0123456789ABCDEF", "");
        var body = Gen.Elements(
            "{}", "[]", "", "null", "{\"decision\":\"" + new string('0', 32) + "\"}", "{\"input\":\"x\"}", "{\"input\":\"x\",\"input\":\"y\"}",
            "{\"edge_ms\":5e-324,\"edge_ms\":1}", "{\"input\":[[15496,995]]}", new string('{', 300), "{\"a\":\"\\ud800\"}", "\u00ff\u00fe{}",
            "{\"decision\":\"x\",\"model\":\"tiny-e2e\",\"k\":2,\"n\":4,\"request_ms\":1e400}");
        // How the body is framed: as declared, shorter (the rest reads as a next request), zero, negative, duplicated, chunked badly.
        // (Declared longer only waits for the body timeout, which RequestLimitTests covers.)
        var framing = Gen.Elements("exact", "shorter", "zero", "negative", "twice", "chunked-garbage", "chunked-and-length", "chunked-ok");
        var cases = path.SelectMany(_ => contentType, (p, t) => (p, t)).SelectMany(_ => client, (pt, c) => (pt.p, pt.t, c))
            .SelectMany(_ => body, (x, b) => (x.p, x.t, x.c, b)).SelectMany(_ => framing, (x, f) => (x.p, x.t, x.c, x.b, f));

        foreach (var (target, type, clientHeader, text, frame) in cases.Sample(150))
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            List<string> headers = [type, clientHeader];
            var payload = bytes;
            switch (frame)
            {
                case "exact": headers.Add($"Content-Length: {bytes.Length}"); break;
                case "shorter": headers.Add($"Content-Length: {Math.Max(0, bytes.Length - 3)}"); break;
                case "zero": headers.Add("Content-Length: 0"); break;
                case "negative": headers.Add("Content-Length: -5"); break;
                case "twice": headers.Add($"Content-Length: {bytes.Length}\r\nContent-Length: {bytes.Length + 1}"); break;
                case "chunked-garbage": headers.Add("Transfer-Encoding: chunked"); payload = [.. "zz\r\n"u8, .. bytes, .. "\r\n0\r\n\r\n"u8]; break;
                case "chunked-and-length":
                    headers.Add($"Transfer-Encoding: chunked\r\nContent-Length: {bytes.Length}");
                    payload = [.. Encoding.ASCII.GetBytes($"{bytes.Length:x}\r\n"), .. bytes, .. "\r\n0\r\n\r\n"u8];
                    break;
                default: headers.Add("Transfer-Encoding: chunked"); payload = [.. Encoding.ASCII.GetBytes($"{bytes.Length:x}\r\n"), .. bytes, .. "\r\n0\r\n\r\n"u8]; break;
            }
            var what = $"POST {target} [{type} | {clientHeader[..Math.Min(clientHeader.Length, 40)]} | {frame}] {text[..Math.Min(text.Length, 40)]}";
            var status = await RawHttp.StatusAsync(cluster.GatewayUri, Request(target, key, [.. headers.Where(h => h.Length > 0)], payload, framed: true), what);
            Assert.True(status < 500, $"{what}: answered {status}");
        }
    }

    /// <summary>A raw POST; unless <paramref name="framed"/>, with a Content-Length of the body's size.</summary>
    private byte[] Request(string target, string key, string[] headers, byte[] body, bool framed = false)
    {
        var head = new StringBuilder($"POST {target} HTTP/1.1\r\nHost: {cluster.GatewayUri.Authority}\r\nConnection: close\r\nAuthorization: Bearer {key}\r\n");
        foreach (var header in headers) head.Append(header).Append("\r\n");
        if (!framed) head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    private static string Replace(string json, string field, string value)
    {
        var start = json.IndexOf($"\"{field}\":", StringComparison.Ordinal);
        if (start < 0) return json;
        start += field.Length + 3;
        var end = json.IndexOfAny([',', '}'], start);
        return json[..start] + value + json[end..];
    }
}
