using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Protocol.Tests.Embeddings;

/// <summary>What the gateway forwards (token ids instead of texts) parses back to the same request.</summary>
public sealed class EmbeddingRequestWriterTests
{
    [Fact]
    public void Every_field_survives_a_round_trip()
    {
        var request = new EmbeddingRequest("gpt2@abc", null, [[1, 2, 3], [50256]])
        {
            EncodingFormat = EncodingFormat.Base64, Dimensions = 32, Normalize = false, Truncate = true,
        };
        var back = EmbeddingRequestParser.Parse(EmbeddingRequestWriter.ToJsonUtf8(request));
        Assert.Equal(request.Model, back.Model);
        Assert.Equal(request.TokenIds, back.TokenIds);
        Assert.Equal((request.EncodingFormat, request.Dimensions, request.Normalize, request.Truncate), (back.EncodingFormat, back.Dimensions, back.Normalize, back.Truncate));
    }

    [Fact]
    public void Unset_fields_stay_unset_so_the_model_defaults_apply()
    {
        var back = EmbeddingRequestParser.Parse(EmbeddingRequestWriter.ToJsonUtf8(new EmbeddingRequest(null, ["a", "b\"c\n"], null)));
        Assert.Null(back.Model);
        Assert.Equal(["a", "b\"c\n"], back.Texts);
        Assert.Null(back.Dimensions);
        Assert.Null(back.Normalize);
        Assert.False(back.Truncate);
    }

    [Fact]
    public void Token_ids_round_trip_for_any_batch() =>
        Prop.ForAll(
            Gen.Choose(0, 50256).ArrayOf().Where(a => a.Length > 0).NonEmptyListOf().Select(l => l.ToArray()).ToArbitrary(),
            batch =>
            {
                var back = EmbeddingRequestParser.Parse(EmbeddingRequestWriter.ToJsonUtf8(new EmbeddingRequest("m", null, batch)));
                return back.TokenIds!.Count == batch.Length && back.TokenIds.Zip(batch).All(p => p.First.SequenceEqual(p.Second));
            }).QuickCheckThrowOnFailure();
}
