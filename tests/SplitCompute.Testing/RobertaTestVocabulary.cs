using System.Text.Json;
using System.Text.Json.Nodes;

namespace SplitCompute.Testing;

/// <summary>
/// A RoBERTa-style vocab.json + merges.txt built from GPT-2's (which RoBERTa's byte-level BPE is): &lt;s&gt; 0, &lt;pad&gt; 1, &lt;/s&gt; 2,
/// &lt;unk&gt; 3, GPT-2's tokens shifted by 4, &lt;mask&gt; last. So a RoBERTa encoding of a text is GPT-2's ids + 4 between 0 and 2.
/// </summary>
public static class RobertaTestVocabulary
{
    public const int Shift = 4;

    /// <summary>GPT-2's 50257 tokens + 4 specials before them + &lt;mask&gt;.</summary>
    public const int VocabularySize = 50_257 + Shift + 1;

    public static void Write(string directory)
    {
        var data = Path.Combine(RepositoryPaths.Root, "src", "SplitCompute.Tokenization", "Data");
        var gpt2 = JsonNode.Parse(File.ReadAllText(Path.Combine(data, "encoder.json")))!.AsObject();
        var vocab = new JsonObject { ["<s>"] = 0, ["<pad>"] = 1, ["</s>"] = 2, ["<unk>"] = 3 };
        foreach (var (token, id) in gpt2) vocab[token] = id!.GetValue<int>() + Shift;
        vocab["<mask>"] = VocabularySize - 1;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "vocab.json"), vocab.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        File.Copy(Path.Combine(data, "vocab.bpe"), Path.Combine(directory, "merges.txt"), overwrite: true);
    }
}
