using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Hostile HTTP against the real gateway (keys on) and the real worker, generated with FsCheck: bodies, capability headers,
/// credentials, shard paths with traversal, manifest names. Every case must get an answer (no hang, no dropped connection)
/// with a clear 4xx (or a 200 where the input is in fact valid), never a 5xx. Samples are kept small because each one is a
/// real request; the generators aim at the edges (limits, encodings, separators) rather than at random noise.
/// </summary>
public sealed class HostileHttpTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private static T[] Sample<T>(Gen<T> gen, int count) => gen.Sample(count);

    private static void AssertClean(int status, string what) =>
        Assert.True(status is 200 or (>= 400 and < 500), $"{what}: answered {status}");

    [Fact]
    public async Task Generated_embeddings_bodies_get_200_or_a_4xx_with_a_reason()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        var valid = Encoding.UTF8.GetBytes($$"""{"model":"{{SplitCluster.Model}}","input":[[15496,995],[1,2,3]]}""");
        var jsonish = Encoding.ASCII.GetBytes("0123456789-+.eE[]{},:\" tfnul\\");
        var edit = Gen.Choose(0, valid.Length - 1).SelectMany(_ => Gen.Frequency((1, Gen.Choose(0, 255).Select(b => (byte)b)), (4, Gen.Elements(jsonish))), (p, v) => (p, v));
        var mutated = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(edit, n)).Select(edits =>
        {
            var bytes = (byte[])valid.Clone();
            foreach (var (p, v) in edits) bytes[p] = v;
            return bytes;
        });
        var special = Gen.Elements(
            """{"input":[[-1]]}""", """{"input":[[50257]]}""", """{"input":[[2147483648]]}""", """{"input":[]}""", """{"input":""}""",
            """{"input":null}""", """{"model":"nope","input":"x"}""", """{"model":7,"input":"x"}""", "[]", "", "null", "\"x\"",
            """{"input":"x","input":"y"}""", "{\"input\":\"\\ud800\"}", $$"""{"input":[{{string.Join(",", Enumerable.Repeat("[1]", 300))}}]}""",
            $$"""{"input":"{{new string('a', 70_000)}}"}""", $$"""{"input":[[{{string.Join(",", Enumerable.Repeat("1", 2000))}}]]}""",
            new string('[', 5000)).Select(Encoding.UTF8.GetBytes);
        var contentTypes = Gen.Elements("application/json", "text/plain", "application/json; charset=latin1", "", "application/x-www-form-urlencoded");
        var cases = Gen.Frequency((3, mutated), (1, special)).SelectMany(_ => contentTypes, (body, type) => (body, type));

        foreach (var (body, type) in Sample(cases, 120))
        {
            var content = new ByteArrayContent(body);
            if (type.Length > 0) content.Headers.TryAddWithoutValidation("Content-Type", type);
            using var response = await http.PostAsync("/v1/embeddings", content);
            var status = (int)response.StatusCode;
            AssertClean(status, $"body {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 80)])} ({type})");
            if (status >= 400) Assert.Contains("{\"error\":{\"message\":", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Generated_capability_headers_never_fail_the_request()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        var chars = Gen.Frequency((6, Gen.Choose(0x20, 0x7E).Select(c => (char)c)), (1, Gen.Elements('\t', ',', ';', '=', '"', '\\')));
        var value = Gen.Frequency(
            (6, Gen.Choose(0, 80).SelectMany(n => Gen.ArrayOf(chars, n)).Select(a => new string(a).Trim())),
            (1, Gen.Elements(new string('a', 17_000), "gflops=1e400", "k=99999", "gflops=NaN", "rtt-ms=-1", string.Join(",", Enumerable.Repeat("0123456789abcdef", 400)))));
        var header = Gen.Elements([.. HeaderNames.CapabilityHeaders, "X-SplitCompute-Bogus"]);
        var headers = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(header.SelectMany(_ => value, (h, v) => (h, v)), n));
        foreach (var set in Sample(headers, 80))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Ids([15496, 995]) };
            request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
            request.Headers.TryAddWithoutValidation(HeaderNames.Version, "1");
            foreach (var (name, v) in set) request.Headers.TryAddWithoutValidation(name, v);
            using var response = await http.SendAsync(request);
            // Capability headers never fail a request (protocol.md 3.3), whatever they hold; only the sum of all headers is capped (431).
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.RequestHeaderFieldsTooLarge,
                $"{string.Join(" | ", set.Select(s => $"{s.h}: {s.v[..Math.Min(40, s.v.Length)]}"))}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Generated_credentials_get_401_never_a_5xx()
    {
        var chars = Gen.Choose(0x21, 0x7E).Select(c => (char)c);
        var token = Gen.Choose(0, 60).SelectMany(n => Gen.ArrayOf(chars, n)).Select(a => new string(a));
        var shaped = Gen.ArrayOf(Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".ToCharArray()), 43).Select(a => "sc_" + new string(a));
        var scheme = Gen.Elements("Bearer ", "bearer ", "Basic ", "", "Bearer  ", "Token ");
        var authorization = scheme.SelectMany(_ => Gen.Frequency((1, token), (1, shaped)), (s, t) => s + t);
        using var http = cluster.NewHttpClient(null);
        foreach (var value in Sample(authorization, 100))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("x") };
            request.Headers.TryAddWithoutValidation(value.Length % 2 == 0 ? "Authorization" : "X-API-Key", value);
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"'{value}': {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Shard_paths_with_traversal_never_reach_a_file_on_the_gateway_or_the_worker()
    {
        var (key, _) = await cluster.NewKeyAsync();
        var auth = $"Authorization: Bearer {key}";
        string[] fixedTargets =
        [
            "/v1/shards/../../../../etc/passwd", "/v1/shards/..%2f..%2f..%2fetc%2fpasswd", "/v1/shards/%2e%2e/%2e%2e/etc/passwd",
            "/v1/shards/..%5c..%5cconfig.json", "/v1/shards/%252e%252e%252fconfig.json", "/v1/shards/./config.json", "/v1/shards/config.json",
            "/v1/shards/" + new string('a', 64) + "/../../config.json", "/v1/shards//etc/passwd", "/v1/shards/%00", "/v1/shards/" + new string('F', 64),
            "/v1/shards/" + new string('0', 63), "/v1/shards/" + new string('0', 65), "/v1/shards/%2fetc%2fpasswd", "/v1/shards/..;/config.json",
        ];
        var segment = Gen.Elements("..", ".", "%2e%2e", "%2E%2E", "%2f", "%5c", "\\", "config.json", "model.safetensors", "etc", "passwd", "%00", "~", new string('a', 64));
        var generated = Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(segment, n)).Select(parts => "/v1/shards/" + string.Join("/", parts));
        var targets = fixedTargets.Concat(Sample(generated, 60)).ToList();
        var worker = new Uri(SplitCluster.Address(cluster.Workers[0]));
        foreach (var target in targets)
        {
            foreach (var (server, headers) in new[] { (cluster.GatewayUri, new[] { auth }), (worker, Array.Empty<string>()) })
            {
                var status = await RawHttp.StatusAsync(server, "GET", target, headers);
                // 200 only for a real shard name; nothing here is one, so every answer is a refusal.
                Assert.True(status is 400 or 404 or 405, $"GET {target} on {server}: {status}");
            }
        }
    }

    [Fact]
    public async Task Generated_manifest_names_get_404_or_400()
    {
        var (key, _) = await cluster.NewKeyAsync();
        var part = Gen.Elements("..", "%2e%2e", "%2f", "tiny-e2e", "*", "%00", "a%20b", new string('x', 300), "sha256:00", "%ff");
        var targets = part.SelectMany(_ => part, (m, r) => $"/v1/manifests/{m}/{r}");
        foreach (var target in Sample(targets, 60))
        {
            var status = await RawHttp.StatusAsync(cluster.GatewayUri, "GET", target, $"Authorization: Bearer {key}");
            Assert.True(status is 400 or 404, $"GET {target}: {status}");
        }
    }
}
