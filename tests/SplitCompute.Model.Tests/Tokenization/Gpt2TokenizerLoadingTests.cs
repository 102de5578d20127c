using SplitCompute.Tokenization;

namespace SplitCompute.Model.Tests.Tokenization;

public sealed class Gpt2TokenizerLoadingTests
{
    private const string Sample = "Hello world, it's SplitCompute: 日本語 😀 1234!";

    [Fact]
    public void FromDirectoryReadsOpenAiFileNames()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(Gpt2TestData.VocabDirectory, "encoder.json"), dir.File("encoder.json"));
        File.Copy(Path.Combine(Gpt2TestData.VocabDirectory, "vocab.bpe"), dir.File("vocab.bpe"));

        var tokenizer = Gpt2Tokenizer.FromDirectory(dir.Path);

        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(50256, tokenizer.EndOfTextId);
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
    }

    [Fact]
    public void FromDirectoryReadsHuggingFaceFileNames()
    {
        using var dir = new TempDirectory();
        Gpt2Vocabulary.WriteDefaultFiles(dir.Path);

        var tokenizer = Gpt2Tokenizer.FromDirectory(dir.Path);

        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(Gpt2TestData.Tokenizer.Encode(Sample), tokenizer.Encode(Sample));
    }

    [Fact]
    public void FromFilesTakesExplicitPaths()
    {
        var tokenizer = Gpt2Tokenizer.FromFiles(
            Path.Combine(Gpt2TestData.VocabDirectory, "encoder.json"), Path.Combine(Gpt2TestData.VocabDirectory, "vocab.bpe"));
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
    }

    [Fact]
    public void DefaultFilesEqualTheReferenceVocabulary()
    {
        using var dir = new TempDirectory();
        Gpt2Vocabulary.WriteDefaultFiles(dir.Path);

        Assert.Equal(File.ReadAllBytes(Path.Combine(Gpt2TestData.VocabDirectory, "encoder.json")), File.ReadAllBytes(dir.File("vocab.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Gpt2TestData.VocabDirectory, "vocab.bpe")), File.ReadAllBytes(dir.File("merges.txt")));
    }

    [Fact]
    public void WriteDefaultFilesCreatesTheDirectory()
    {
        using var dir = new TempDirectory();
        var nested = Path.Combine(dir.Path, "a", "b");
        Gpt2Vocabulary.WriteDefaultFiles(nested);
        Assert.True(File.Exists(Path.Combine(nested, "vocab.json")));
        Assert.True(File.Exists(Path.Combine(nested, "merges.txt")));
    }

    [Fact]
    public void CreateDefaultMatchesTheReferenceTokenizer()
    {
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(50256, tokenizer.EndOfTextId);
        foreach (var testCase in Gpt2TestData.Cases) Assert.Equal(testCase.Ids, tokenizer.Encode(testCase.Text));
    }

    [Fact]
    public void MissingDirectoryIsNamed()
    {
        var missing = Path.Combine(Path.GetTempPath(), "splitcompute-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(missing));
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingVocabularyNamesBothAcceptedNames()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains("vocab.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("encoder.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingMergesNamesBothAcceptedNames()
    {
        using var dir = new TempDirectory();
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), Gpt2TestData.ByteVocabulary());

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains("merges.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("vocab.bpe", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileInFromFilesIsNamed()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromFiles(dir.File("nope.json"), dir.File("merges.txt")));

        Assert.Equal(dir.File("nope.json"), ex.FilePath);
        Assert.Contains(dir.File("nope.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedJsonIsReportedWithFileAndLine()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("vocab.json"), "{\n\"a\": 0,\n\"b\": 1,,\n}");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("vocab.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void NonObjectJsonIsRejected()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("vocab.json"), "[1, 2, 3]");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("vocab.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("JSON object", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"x\"")]
    [InlineData("1.5")]
    [InlineData("-3")]
    [InlineData("99999999999")]
    [InlineData("null")]
    public void NonIntegerIdNamesTheToken(string badId)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("vocab.json"), "{\n\"a\": 0,\n\"weird\": " + badId + "\n}");
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("vocab.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"weird\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("integer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void VocabularyWithoutEveryByteIsRejected()
    {
        using var dir = new TempDirectory();
        var vocab = Gpt2TestData.ByteVocabulary();
        vocab.Remove("Ġ");
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), vocab);
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("vocab.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x20", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateIdIsRejected()
    {
        using var dir = new TempDirectory();
        var vocab = Gpt2TestData.ByteVocabulary("Ġt");
        vocab["Ġt"] = 7;
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), vocab);
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("vocab.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("id 7", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("h e x")]
    [InlineData("he")]
    [InlineData(" he")]
    [InlineData("h  e")]
    public void BadMergeLineIsReportedWithItsLineNumber(string badLine)
    {
        using var dir = new TempDirectory();
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), Gpt2TestData.ByteVocabulary("Ġt", "he"));
        File.WriteAllText(dir.File("merges.txt"), $"#version: 0.2\nĠ t\n{badLine}\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("merges.txt") + ", line 3:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("two tokens", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void MergeOfUnknownTokenIsReported()
    {
        using var dir = new TempDirectory();
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), Gpt2TestData.ByteVocabulary("Ġt"));
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\nĠ t\nh e\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("merges.txt") + ", line 3:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"he\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyLineInsideMergesIsReported()
    {
        using var dir = new TempDirectory();
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), Gpt2TestData.ByteVocabulary("Ġt", "he"));
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\nĠ t\n\nh e\n");

        var ex = Assert.Throws<TokenizerFormatException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));

        Assert.Contains(dir.File("merges.txt"), ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.LineNumber);
    }

    [Theory]
    [InlineData("#version: 0.2\nĠ t\nh e\n\n\n")]
    [InlineData("#version: 0.2\r\nĠ t\r\nh e\r\n\r\n")]
    [InlineData("Ġ t\nh e")]
    public void MergesToleratesVersionLineCrLfAndTrailingEmptyLines(string merges)
    {
        using var dir = new TempDirectory();
        Gpt2TestData.WriteVocab(dir.File("vocab.json"), Gpt2TestData.ByteVocabulary("Ġt", "he"));
        File.WriteAllText(dir.File("merges.txt"), merges);

        var tokenizer = Gpt2Tokenizer.FromDirectory(dir.Path);

        Assert.Equal(258, tokenizer.VocabSize);
        Assert.Null(tokenizer.EndOfTextId);
        // "he" -> 257, " the" -> "Ġt"(256) + "he"(257).
        Assert.Equal([257, 256, 257], tokenizer.Encode("he the"));
        Assert.Equal("he the", tokenizer.Decode([257, 256, 257]));
    }
}
