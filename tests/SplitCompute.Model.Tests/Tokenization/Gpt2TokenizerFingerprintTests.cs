using System.Text.Json;
using SplitCompute.Tokenization;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>The fingerprint decides whether the gateway's token ids may stand in for a worker's own tokenization.</summary>
public sealed class Gpt2TokenizerFingerprintTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitcompute-fingerprint-").FullName;

    [Fact]
    public void The_same_vocabulary_in_other_formatting_has_the_same_fingerprint()
    {
        Gpt2Vocabulary.WriteDefaultFiles(_directory);
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(Path.Combine(_directory, "vocab.json")))!;
        // Reversed key order and indented: the same ids for the same tokens.
        File.WriteAllText(Path.Combine(_directory, "vocab.json"),
            JsonSerializer.Serialize(vocab.Reverse().ToDictionary(p => p.Key, p => p.Value), new JsonSerializerOptions { WriteIndented = true }));
        Assert.Equal(Gpt2Tokenizer.CreateDefault().Fingerprint, Gpt2Tokenizer.FromDirectory(_directory).Fingerprint);
    }

    [Fact]
    public void Merges_in_another_order_change_the_fingerprint()
    {
        Gpt2Vocabulary.WriteDefaultFiles(_directory);
        var merges = File.ReadAllLines(Path.Combine(_directory, "merges.txt"));
        var first = Array.FindIndex(merges, l => !l.StartsWith('#'));
        (merges[first], merges[first + 1]) = (merges[first + 1], merges[first]);  // two ranks swapped: some texts encode differently
        File.WriteAllLines(Path.Combine(_directory, "merges.txt"), merges);
        var swapped = Gpt2Tokenizer.FromDirectory(_directory);
        Assert.NotEqual(Gpt2Tokenizer.CreateDefault().Fingerprint, swapped.Fingerprint);
        Assert.Equal(64, swapped.Fingerprint.Length);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
