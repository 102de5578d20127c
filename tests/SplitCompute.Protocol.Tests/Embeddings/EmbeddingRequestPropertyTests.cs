using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Protocol.Tests.Embeddings;

/// <summary>
/// Hostile embeddings bodies: structurally generated JSON with wrong types, huge or negative numbers, deep nesting and
/// oversized inputs, and byte-level corruption of valid bodies, either parse within the limits or fail with a
/// <see cref="ProtocolException"/> (the gateway's 400); nothing else escapes and nothing over the limits is accepted.
/// </summary>
public sealed class EmbeddingRequestPropertyTests
{
    private static readonly EmbeddingRequestLimits Limits = new(MaxInputs: 8, MaxTextLength: 64, MaxIdsPerSequence: 16);

    private static Gen<JsonNode?> Scalar() => Gen.OneOf(
        Gen.Constant<JsonNode?>(null),
        Gen.Elements<JsonNode?>(true, false),
        Gen.Elements<long>(0, 1, -1, 50_256, 50_257, int.MaxValue, (long)int.MaxValue + 1, long.MinValue, long.MaxValue).Select(v => (JsonNode?)JsonValue.Create(v)),
        Gen.Elements(0.5, -0.0, 1e308, double.Epsilon, 3.0).Select(v => (JsonNode?)JsonValue.Create(v)),
        Gen.Elements("", "a", "gpt2", "default", new string('x', 65), "\u0000", "\ud83d\ude00").Select(v => (JsonNode?)JsonValue.Create(v)));

    private static Gen<JsonNode?> Value(int depth) => depth == 0
        ? Scalar()
        : Gen.Frequency(
            (3, Scalar()),
            (2, Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Value(depth - 1), n)).Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())]))),
            (1, Value(depth - 1).Select(v => (JsonNode?)new JsonObject { ["input"] = v?.DeepClone() })));

    [Fact]
    public void GeneratedBodiesParseWithinLimitsOrFailWithProtocolException()
    {
        var body = Value(3).SelectMany(_ => Scalar(), (input, model) => (input, model)).Select(p =>
        {
            // Generated nodes may be shared instances (Gen.Elements): clone before attaching.
            var o = new JsonObject { ["input"] = p.input?.DeepClone() };
            if (p.model is not null) o["model"] = p.model.DeepClone();
            return o.ToJsonString();
        });
        var property = Prop.ForAll(body.ToArbitrary(), json => ParseChecked(Encoding.UTF8.GetBytes(json)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void CorruptedValidBodiesParseWithinLimitsOrFailWithProtocolException()
    {
        var valid = Encoding.UTF8.GetBytes("""{"model":"gpt2","input":[[1,2,3],[50256,7]],"encoding_format":"float"}""");
        var jsonish = Encoding.ASCII.GetBytes("0123456789-+.eE[]{},:\" tfnul\\");
        var edit = Gen.Choose(0, valid.Length - 1).SelectMany(_ => Gen.Frequency((1, Gen.Choose(0, 255).Select(b => (byte)b)), (4, Gen.Elements(jsonish))), (p, v) => (p, v));
        var property = Prop.ForAll(Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(edit, n)).ToArbitrary(), edits =>
        {
            var bytes = (byte[])valid.Clone();
            foreach (var (p, v) in edits) bytes[p] = v;
            ParseChecked(bytes);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData("{\"input\":\"\\ud800\"}")]
    [InlineData("{\"input\":[\"ok\",\"\\udc00x\"]}")]
    [InlineData("{\"model\":\"\\ud83d\",\"input\":\"x\"}")]
    public void EscapedLoneSurrogatesAreRefused(string json) =>
        Assert.Equal("body", Assert.Throws<ProtocolException>(() => EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes(json), Limits)).Field);

    [Fact]
    public void DeepNestingIsRefusedNotAStackOverflow()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        Assert.Throws<ProtocolException>(() => EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes($$"""{"input":{{deep}}}"""), Limits));
    }

    private static void ParseChecked(byte[] body)
    {
        EmbeddingRequest request;
        try
        {
            request = EmbeddingRequestParser.Parse(body, Limits);
        }
        catch (ProtocolException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return;
        }
        Assert.InRange(request.Count, 1, Limits.MaxInputs);
        Assert.True((request.Texts is null) != (request.TokenIds is null), "exactly one of texts and token ids");
        foreach (var text in request.Texts ?? []) Assert.InRange(text.Length, 0, Limits.MaxTextLength);
        foreach (var ids in request.TokenIds ?? [])
        {
            Assert.InRange(ids.Length, 1, Limits.MaxIdsPerSequence);
            Assert.All(ids, id => Assert.InRange(id, 0, int.MaxValue));
        }
    }
}
