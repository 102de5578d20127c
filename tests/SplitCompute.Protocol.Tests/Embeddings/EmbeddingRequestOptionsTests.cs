using System.Text;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Protocol.Tests.Embeddings;

/// <summary>The request fields beside <c>input</c>: dimensions, normalize, truncate, and the limits OpenAI clients rely on.</summary>
public sealed class EmbeddingRequestOptionsTests
{
    private static EmbeddingRequest Parse(string json, EmbeddingRequestLimits? limits = null) => EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes(json), limits);

    [Fact]
    public void Dimensions_normalize_and_truncate_are_read_in_any_order()
    {
        var request = Parse("""{"truncate":true,"normalize":false,"dimensions":32,"input":["a"],"user":"u1"}""");
        Assert.Equal(32, request.Dimensions);
        Assert.False(request.Normalize);
        Assert.True(request.Truncate);
        Assert.Null(Parse("""{"input":"a"}""").Normalize);
    }

    [Fact]
    public void A_prompt_name_is_read_and_written_back()
    {
        var request = Parse("""{"input":["a"],"prompt_name":"query"}""");
        Assert.Equal("query", request.PromptName);
        Assert.Null(Parse("""{"input":"a","prompt_name":null}""").PromptName);
        Assert.Equal("query", EmbeddingRequestParser.Parse(EmbeddingRequestWriter.ToJsonUtf8(request)).PromptName);
    }

    [Theory]
    [InlineData("""{"input":"a","input":"b"}""", "input")]
    [InlineData("""{"model":"m","input":"a","model":"n"}""", "model")]
    [InlineData("""{"input":"a","user":"u","user":"v"}""", "user")]
    [InlineData("""{"input":"a","dimensions":8,"dimensions":16}""", "dimensions")]
    public void A_key_given_twice_is_refused_naming_it(string json, string key)
    {
        // Parsers disagree on which duplicate wins, so a proxy in front may have checked the other value (issue 21).
        var ex = Assert.Throws<ProtocolException>(() => Parse(json));
        Assert.Equal(key, ex.Field);
        Assert.Contains($"\"{key}\" appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"input":"a","dimensions":0}""", "dimensions")]
    [InlineData("""{"input":"a","dimensions":"32"}""", "dimensions")]
    [InlineData("""{"input":"a","normalize":"yes"}""", "normalize")]
    [InlineData("""{"input":"a","truncate":1}""", "truncate")]
    [InlineData("""{"input":"a","prompt_name":7}""", "prompt_name")]
    [InlineData("""{"input":"a","prompt_name":""}""", "prompt_name")]
    public void Bad_values_name_their_field(string json, string field) =>
        Assert.Equal(field, Assert.Throws<ProtocolException>(() => Parse(json)).Field);

    [Fact]
    public void OpenAIs_2048_inputs_are_accepted_and_2049_refused()
    {
        var inputs = string.Join(",", Enumerable.Repeat("\"a\"", 2048));
        Assert.Equal(2048, Parse($$"""{"input":[{{inputs}}]}""").Count);
        var ex = Assert.Throws<ProtocolException>(() => Parse($$"""{"input":[{{inputs}},"b"]}"""));
        Assert.Equal("input", ex.Field);
        Assert.Contains("more than 2048 inputs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_over_long_text_is_context_length_exceeded_unless_truncate_cuts_it()
    {
        var limits = new EmbeddingRequestLimits(MaxTextLength: 10, MaxIdsPerSequence: 4);
        var ex = Assert.Throws<ProtocolException>(() => Parse("""{"input":["ok","0123456789x"]}""", limits));
        Assert.Equal("input[1]", ex.Field);
        Assert.Equal(ApiErrorCodes.ContextLengthExceeded, ex.Code);
        Assert.Equal("0123456789", Parse("""{"input":["ok","0123456789x"],"truncate":true}""", limits).Texts![1]);
        Assert.Equal(ApiErrorCodes.ContextLengthExceeded, Assert.Throws<ProtocolException>(() => Parse("""{"input":[1,2,3,4,5]}""", limits)).Code);
        Assert.Equal([1, 2, 3, 4], Parse("""{"input":[1,2,3,4,5],"truncate":true}""", limits).TokenIds![0]);
    }

    [Fact]
    public void Dimensions_are_honoured_only_where_the_model_declares_them()
    {
        var request = Parse("""{"input":"a","dimensions":2}""");
        var shaping = EmbeddingShaping.For(request, 4, [2], normalizeByDefault: false);
        Assert.Equal([0.6f, 0.8f], shaping.Apply([3f, 4f, 100f, 100f]));
        var refused = Assert.Throws<ProtocolException>(() => EmbeddingShaping.For(request, 4, [3], normalizeByDefault: false));
        Assert.Equal("dimensions", refused.Field);
        Assert.Contains("supports 4, 3", refused.Message, StringComparison.Ordinal);
        Assert.Contains("only its full width 4", Assert.Throws<ProtocolException>(() => EmbeddingShaping.For(request, 4, [], false)).Message, StringComparison.Ordinal);
        Assert.Null(EmbeddingShaping.For(Parse("""{"input":"a","dimensions":4}"""), 4, [], false).Dimensions);
    }

    [Fact]
    public void Normalize_defaults_to_the_model_and_a_request_overrides_it()
    {
        float[] e = [3f, 4f];
        Assert.Equal([0.6f, 0.8f], EmbeddingShaping.For(Parse("""{"input":"a"}"""), 2, [], normalizeByDefault: true).Apply(e));
        Assert.Equal(e, EmbeddingShaping.For(Parse("""{"input":"a"}"""), 2, [], normalizeByDefault: false).Apply(e));
        Assert.Equal(e, EmbeddingShaping.For(Parse("""{"input":"a","normalize":false}"""), 2, [], normalizeByDefault: true).Apply(e));
        Assert.Equal([3f, 4f], e);  // never modified in place
    }
}
