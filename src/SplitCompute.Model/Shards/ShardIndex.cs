using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitCompute.Model.Shards;

/// <summary>
/// The shards made from one model revision (<c>shards/index.json</c>). <see cref="Revision"/> is derived from the f32 shard hashes
/// and the config, so it changes exactly when the weights do. <see cref="Source"/> fingerprints the checkpoint files the shards
/// were cut from (name, size, modification time) so a worker can tell when they are stale without hashing gigabytes.
/// </summary>
public sealed record ShardIndex(int FormatVersion, string Model, string Revision, int NLayer, string Source, ShardEntry[] Shards)
{
    public const int CurrentFormatVersion = 1;
    public const string FileName = "index.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public ShardEntry Layer(int layer, string dtype) =>
        Shards.FirstOrDefault(s => s.Kind == ShardEntry.LayerKind && s.Layer == layer && s.DType == dtype)
        ?? throw new KeyNotFoundException($"shard index of {Model}@{Revision} has no {dtype} shard for layer {layer}");

    public ShardEntry FinalNorm(string dtype) =>
        Shards.FirstOrDefault(s => s.Kind == ShardEntry.FinalNormKind && s.DType == dtype)
        ?? throw new KeyNotFoundException($"shard index of {Model}@{Revision} has no {dtype} final-norm shard");

    public void Save(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads an index, or returns null when the file is absent, unreadable or from another format version.</summary>
    public static ShardIndex? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllText(path), Json);
            return index is { FormatVersion: CurrentFormatVersion, Shards: not null } ? index : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
