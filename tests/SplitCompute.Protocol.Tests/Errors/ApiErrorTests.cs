using System.Text;
using System.Text.Json;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Protocol.Tests.Errors;

/// <summary>OpenAI's error object: its four fields always present, the parser's field as <c>param</c>.</summary>
public sealed class ApiErrorTests
{
    [Fact]
    public void A_parse_error_is_invalid_request_error_with_its_field_as_param()
    {
        var ex = Assert.Throws<ProtocolException>(() => EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes("""{"input":"a","encoding_format":"x"}""")));
        using var json = JsonDocument.Parse(ApiError.From(ex).ToUtf8Json());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(ex.Message, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("encoding_format", error.GetProperty("param").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("code").ValueKind);
    }

    [Fact]
    public void A_body_level_error_has_a_null_param_and_the_message_reads_back()
    {
        var ex = Assert.Throws<ProtocolException>(() => EmbeddingRequestParser.Parse("not json"u8));
        var bytes = ApiError.From(ex).ToUtf8Json();
        using var json = JsonDocument.Parse(bytes);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("error").GetProperty("param").ValueKind);
        Assert.Equal(ex.Message, ApiError.ReadMessage(bytes));
        Assert.Equal("old", ApiError.ReadMessage("""{"title":"x","detail":"old"}"""u8));
        Assert.Null(ApiError.ReadMessage("<html>"u8));
    }
}
