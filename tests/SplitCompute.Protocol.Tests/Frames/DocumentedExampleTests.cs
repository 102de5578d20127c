using SplitCompute.Protocol.Frames;

namespace SplitCompute.Protocol.Tests.Frames;

/// <summary>The worked example in docs/protocol.md (built there independently, in Python) is exactly what the writer emits.</summary>
public sealed class DocumentedExampleTests
{
    private const string ExampleHex =
        "534348460100000080000000000000007b226b696e64223a22656d62656464696e6773222c226d6f64656c223a2267707432222c22726576" +
        "6973696f6e223a227231222c226b223a31322c226e223a31322c226474797065223a22663332222c227368617065223a5b312c325d2c226c" +
        "656e67746873223a5b335d2c22706f6f6c696e67223a226d65616e227d2020200000803f000020c0";

    [Fact]
    public void WriterEmitsTheDocumentedBytes()
    {
        var frame = HiddenStateFrame.Embeddings("gpt2", "r1", 12, 1, 2, [3], [1.0f, -2.5f], FramePooling.Mean);
        Assert.Equal(ExampleHex, Convert.ToHexStringLower(FrameWriter.ToArray(frame)));
    }

    [Fact]
    public void ReaderReadsTheDocumentedBytes()
    {
        var frame = FrameReader.Read(Convert.FromHexString(ExampleHex));
        Assert.Equal([1.0f, -2.5f], frame.Data);
        Assert.Equal([3], frame.Lengths);
        Assert.Equal(FrameKind.Embeddings, frame.Kind);
    }
}
