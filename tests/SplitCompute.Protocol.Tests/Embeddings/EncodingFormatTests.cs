using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Protocol.Tests.Embeddings;

/// <summary><c>encoding_format</c>: base64 answers are OpenAI's little-endian float32 bytes and decode to the float answer, bit for bit.</summary>
public sealed class EncodingFormatTests
{
    [Fact]
    public void Base64_and_float_answers_decode_to_the_same_floats_bit_for_bit()
    {
        // Any finite float (subnormals and -0 included): what an embedding can hold.
        var finite = ArbMap.Default.GeneratorFor<float>().Where(float.IsFinite);
        var rows = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, 40).SelectMany(c => Gen.ArrayOf(finite, c)), n));
        var property = Prop.ForAll(rows.ToArbitrary(), embeddings =>
        {
            var asFloat = EmbeddingResponseWriter.ReadEmbeddings(Answer(embeddings, EncodingFormat.Float));
            var asBase64 = EmbeddingResponseWriter.ReadEmbeddings(Answer(embeddings, EncodingFormat.Base64));
            Assert.Equal(embeddings.Length, asBase64.Length);
            for (var i = 0; i < embeddings.Length; i++)
            {
                Assert.Equal(embeddings[i].Select(BitConverter.SingleToInt32Bits), asBase64[i].Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(embeddings[i].Select(BitConverter.SingleToInt32Bits), asFloat[i].Select(BitConverter.SingleToInt32Bits));
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Base64_is_little_endian_float32_as_OpenAI_sends_it()
    {
        // 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0 (docs/protocol.md's worked example uses the same values).
        using var json = JsonDocument.Parse(Answer([[1.0f, -2.5f]], EncodingFormat.Base64));
        var embedding = json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString();
        Assert.Equal(Convert.ToBase64String([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]), embedding);
    }

    [Theory]
    [InlineData("\"float\"", EncodingFormat.Float)]
    [InlineData("\"base64\"", EncodingFormat.Base64)]
    [InlineData("null", EncodingFormat.Float)]
    public void Both_formats_are_accepted(string value, EncodingFormat expected) =>
        Assert.Equal(expected, EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes($$"""{"input":"a","encoding_format":{{value}}}""")).EncodingFormat);

    [Theory]
    [InlineData("\"binary\"", "\"binary\"")]
    [InlineData("\"Float\"", "\"Float\"")]
    [InlineData("3", "3")]
    [InlineData("[]", "an array")]
    public void Other_formats_are_refused_naming_encoding_format(string value, string shown)
    {
        var ex = Assert.Throws<ProtocolException>(() => EmbeddingRequestParser.Parse(Encoding.UTF8.GetBytes($$"""{"input":"a","encoding_format":{{value}}}""")));
        Assert.Equal("encoding_format", ex.Field);
        Assert.Contains("\"float\" or \"base64\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(shown, ex.Message, StringComparison.Ordinal);
    }

    private static byte[] Answer(float[][] embeddings, EncodingFormat format)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) EmbeddingResponseWriter.Write(json, "m", embeddings, 3, format);
        return buffer.ToArray();
    }
}
