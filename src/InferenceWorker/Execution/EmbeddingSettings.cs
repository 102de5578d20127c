using System.Text.Json;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// How a model's embeddings are served, from its directory: whether they are unit length by default (a sentence-transformers
/// <c>modules.json</c> with a <c>Normalize</c> module, or <c>embedding.json</c>'s <c>normalize</c>), which Matryoshka
/// <c>dimensions</c> it was trained for (<c>embedding.json</c>'s <c>matryoshka_dimensions</c>), and its weights' dtype
/// (<c>config.json</c>'s <c>torch_dtype</c>). A plain GPT-2 directory: not normalised, full width only.
/// </summary>
public sealed record EmbeddingSettings(bool Normalize, IReadOnlyList<int> Dimensions, string DType)
{
    public const string FileName = "embedding.json";

    public static EmbeddingSettings Load(string directory, int width)
    {
        var normalize = SentenceTransformersNormalizes(directory);
        IReadOnlyList<int> dimensions = [];
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                var root = document.RootElement;
                if (root.TryGetProperty("normalize", out var n)) normalize = n.GetBoolean();
                if (root.TryGetProperty("matryoshka_dimensions", out var d)) dimensions = [.. d.EnumerateArray().Select(v => v.GetInt32())];
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: expected {{\"normalize\": bool, \"matryoshka_dimensions\": [int, ...]}}: {ex.Message}", ex);
            }
            var bad = dimensions.FirstOrDefault(x => x < 1 || x > width);
            if (bad != 0) throw new InvalidDataException($"{path}: matryoshka_dimensions holds {bad}, outside [1, {width}] (the model's width)");
        }
        return new EmbeddingSettings(normalize, [.. dimensions.Where(x => x != width).Distinct().OrderDescending()], ReadDType(directory));
    }

    private static bool SentenceTransformersNormalizes(string directory)
    {
        var path = Path.Combine(directory, "modules.json");
        return File.Exists(path) && File.ReadAllText(path).Contains("sentence_transformers.models.Normalize", StringComparison.Ordinal);
    }

    private static string ReadDType(string directory)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "config.json")));
            var value = document.RootElement.TryGetProperty("torch_dtype", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return value switch { "float16" => "f16", "bfloat16" => "bf16", _ => "f32" };
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return "f32";
        }
    }
}
