using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitCompute.Protocol.Manifests;

/// <summary>
/// What a client needs to run layers [from, to) of a model itself: the model family and shape, and one content-addressed
/// shard per layer plus GPT-2's final layer norm (post-LayerNorm encoders have none). Sent embedded in hidden-state frames (covering [k, n)) and,
/// standalone, as JSON (<see cref="MediaTypes.ShardManifest"/>).
/// </summary>
public sealed record ShardManifest
{
    /// <summary>Upper bound on n_layer; far beyond any GPT-2, it only stops absurd manifests early.</summary>
    public const int MaxLayers = 1024;

    private const int MaxTensorsPerShard = 64;
    private const int MaxUrlLength = 2048;

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    /// <summary>Identifies the exact weights (e.g. a content hash); a hidden state is only valid with the same revision.</summary>
    [JsonPropertyName("revision")]
    public required string Revision { get; init; }

    /// <summary>The families a client may be asked to run: GPT-2's decoder, and BERT-family encoders.</summary>
    public static readonly IReadOnlyList<string> Families = ["gpt2", "bert", "roberta", "xlm-roberta"];

    /// <summary>
    /// Which blocks the shards hold: "gpt2" (pre-LayerNorm, causal attention, tanh GELU, then a final norm) or an encoder's
    /// model_type (post-LayerNorm, bidirectional attention over the unpadded keys, erf GELU, no final norm). Absent: gpt2.
    /// </summary>
    [JsonPropertyName("family")]
    public string Family { get; init; } = "gpt2";

    /// <summary>Whether the blocks are GPT-2's (and a final norm follows them).</summary>
    [JsonIgnore]
    public bool IsGpt2 => Family == "gpt2";

    [JsonPropertyName("n_layer")]
    public required int NLayer { get; init; }

    [JsonPropertyName("n_embd")]
    public required int NEmbd { get; init; }

    [JsonPropertyName("n_head")]
    public required int NHead { get; init; }

    /// <summary>Default element type of the shards ("f32", "f16", "bf16"); each entry states its own too.</summary>
    [JsonPropertyName("dtype")]
    public required string DType { get; init; }

    [JsonPropertyName("layer_norm_epsilon")]
    public required double LayerNormEpsilon { get; init; }

    /// <summary>Per-layer shards, ascending and contiguous; may cover only part of [0, n_layer).</summary>
    [JsonPropertyName("shards")]
    public required IReadOnlyList<ShardEntry> Shards { get; init; }

    /// <summary>GPT-2's final LayerNorm; null (absent) for an encoder.</summary>
    [JsonPropertyName("final_norm")]
    public ShardEntry? FinalNorm { get; init; }

    /// <summary>The shards of layers [from, N) plus the final norm where there is one: everything a tail from there binds.</summary>
    public IEnumerable<ShardEntry> TailEntries => FinalNorm is null ? Shards : Shards.Append(FinalNorm);

    /// <summary>First layer covered by <see cref="Shards"/> (n_layer when there are none).</summary>
    [JsonIgnore]
    public int FirstLayer => Shards.Count > 0 ? Shards[0].Layer ?? 0 : NLayer;

    /// <summary>One past the last layer covered by <see cref="Shards"/>.</summary>
    [JsonIgnore]
    public int EndLayer => FirstLayer + Shards.Count;

    /// <summary>
    /// Throws <see cref="ProtocolException"/> naming the first problem: bad model shape, unknown dtype, a hash that is not
    /// 64 lowercase hex chars, a non-positive size, layers not unique/contiguous/in range, or a URL that is absolute or climbs ("..").
    /// </summary>
    public void Validate()
    {
        if (!PrintableAscii.IsIdentifier(Model)) throw Bad("model", $"expected 1..{PrintableAscii.MaxIdentifierLength} printable ASCII chars, found {PrintableAscii.Quote(Model)}");
        if (!PrintableAscii.IsIdentifier(Revision)) throw Bad("revision", $"expected 1..{PrintableAscii.MaxIdentifierLength} printable ASCII chars, found {PrintableAscii.Quote(Revision)}");
        if (!Families.Contains(Family)) throw Bad("family", $"expected one of {string.Join(", ", Families.Select(f => $"\"{f}\""))}, found {PrintableAscii.Quote(Family)}");
        if (NLayer is < 1 or > MaxLayers) throw Bad("n_layer", $"expected 1..{MaxLayers}, found {NLayer}");
        if (NEmbd < 1) throw Bad("n_embd", $"expected > 0, found {NEmbd}");
        if (NHead < 1 || NEmbd % NHead != 0) throw Bad("n_head", $"expected a positive divisor of n_embd {NEmbd}, found {NHead}");
        if (!ShardDTypes.IsKnown(DType)) throw Bad("dtype", $"expected \"f32\", \"f16\" or \"bf16\", found {PrintableAscii.Quote(DType)}");
        if (!double.IsFinite(LayerNormEpsilon) || LayerNormEpsilon <= 0 || LayerNormEpsilon >= 1)
            throw Bad("layer_norm_epsilon", $"expected a finite value in (0, 1), found {LayerNormEpsilon}");
        if (Shards is null) throw Bad("shards", "expected an array, found null");
        if (Shards.Count > NLayer) throw Bad("shards", $"expected at most n_layer = {NLayer} entries, found {Shards.Count}");

        int? previous = null;
        for (var i = 0; i < Shards.Count; i++)
        {
            var field = $"shards[{i}]";
            var entry = Shards[i] ?? throw Bad(field, "expected an object, found null");
            ValidateEntry(entry, field);
            if (entry.Kind != ShardKinds.Layer) throw Bad(field + ".kind", $"expected \"{ShardKinds.Layer}\", found {PrintableAscii.Quote(entry.Kind)}");
            if (entry.Layer is not int layer) throw Bad(field + ".layer", "expected a layer index, found none");
            if (layer < 0 || layer >= NLayer) throw Bad(field + ".layer", $"expected 0..{NLayer - 1}, found {layer}");
            if (previous is int p && layer != p + 1)
                throw Bad(field + ".layer", $"layers must be unique and contiguous: expected {p + 1} after {p}, found {layer}");
            previous = layer;
        }

        if (!IsGpt2)
        {
            if (FinalNorm is not null) throw Bad("final_norm", $"expected none for the post-LayerNorm family \"{Family}\", found a shard");
            return;
        }
        if (FinalNorm is null) throw Bad("final_norm", "expected an object, found null");
        ValidateEntry(FinalNorm, "final_norm");
        if (FinalNorm.Kind != ShardKinds.FinalNorm) throw Bad("final_norm.kind", $"expected \"{ShardKinds.FinalNorm}\", found {PrintableAscii.Quote(FinalNorm.Kind)}");
        if (FinalNorm.Layer is not null) throw Bad("final_norm.layer", $"expected none, found {FinalNorm.Layer}");
    }

    /// <summary>
    /// The manifest a client needs for layers [<paramref name="from"/>, <paramref name="to"/>): those shards plus the final norm.
    /// This manifest must cover the range (call <see cref="Validate"/> first on untrusted input).
    /// </summary>
    public ShardManifest Slice(int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, NLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        if (from < to && (from < FirstLayer || to > EndLayer))
            throw new ArgumentException($"layers [{from}, {to}) are not all in this manifest, which covers [{FirstLayer}, {EndLayer})");
        var shards = from == to ? [] : Shards.Skip(from - FirstLayer).Take(to - from).ToArray();
        return this with { Shards = shards };
    }

    /// <summary>The entry of <paramref name="layer"/>, or null when this manifest does not cover it.</summary>
    public ShardEntry? ForLayer(int layer) => layer >= FirstLayer && layer < EndLayer ? Shards[layer - FirstLayer] : null;

    public byte[] ToJsonUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJsonContext.Default.ShardManifest);

    public string ToJson() => JsonSerializer.Serialize(this, ManifestJsonContext.Default.ShardManifest);

    /// <summary>Parses and validates; every problem is a <see cref="ProtocolException"/>. Unknown fields are ignored.</summary>
    public static ShardManifest FromJson(ReadOnlySpan<byte> utf8Json)
    {
        ShardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(utf8Json, ManifestJsonContext.Default.ShardManifest);
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"not a valid shard manifest: {e.Message}", "manifest", inner: e);
        }
        return Checked(manifest);
    }

    public static ShardManifest FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromJson(System.Text.Encoding.UTF8.GetBytes(json));
    }

    internal static ShardManifest FromJson(JsonElement element)
    {
        ShardManifest? manifest;
        try
        {
            manifest = element.Deserialize(ManifestJsonContext.Default.ShardManifest);
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"not a valid shard manifest: {e.Message}", "manifest", inner: e);
        }
        return Checked(manifest);
    }

    private static ShardManifest Checked(ShardManifest? manifest)
    {
        if (manifest is null) throw new ProtocolException("expected an object, found null", "manifest");
        manifest.Validate();
        return manifest;
    }

    private static void ValidateEntry(ShardEntry entry, string field)
    {
        if (!IsSha256(entry.Sha256)) throw Bad(field + ".sha256", $"expected 64 lowercase hex chars, found {PrintableAscii.Quote(entry.Sha256)}");
        if (entry.Bytes <= 0) throw Bad(field + ".bytes", $"expected > 0, found {entry.Bytes}");
        if (!IsRelativeUrl(entry.Url)) throw Bad(field + ".url", $"expected a relative URL starting with a single '/', printable ASCII, without '..' or '\\', found {PrintableAscii.Quote(entry.Url)}");
        if (!ShardDTypes.IsKnown(entry.DType)) throw Bad(field + ".dtype", $"expected \"f32\", \"f16\" or \"bf16\", found {PrintableAscii.Quote(entry.DType)}");
        if (entry.Tensors is null || entry.Tensors.Count is 0 or > MaxTensorsPerShard)
            throw Bad(field + ".tensors", $"expected 1..{MaxTensorsPerShard} names, found {entry.Tensors?.Count.ToString() ?? "null"}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var t = 0; t < entry.Tensors.Count; t++)
        {
            var name = entry.Tensors[t];
            if (!PrintableAscii.IsIdentifier(name)) throw Bad($"{field}.tensors[{t}]", $"expected 1..{PrintableAscii.MaxIdentifierLength} printable ASCII chars, found {PrintableAscii.Quote(name)}");
            if (!seen.Add(name)) throw Bad($"{field}.tensors[{t}]", $"tensor {PrintableAscii.Quote(name)} is listed twice");
        }
    }

    /// <summary>64 lowercase hex chars: the only spelling, so hashes compare as plain strings everywhere.</summary>
    public static bool IsSha256(string? s) => s is { Length: 64 } && PrintableAscii.IsLowerHex(s);

    /// <summary>
    /// Origin-relative ("/v1/shards/..."): a manifest must never point a client at another host ("//evil", "https:")
    /// or climb out of the shard path ("..").
    /// </summary>
    internal static bool IsRelativeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxUrlLength || url[0] != '/' || url.StartsWith("//", StringComparison.Ordinal)) return false;
        if (!PrintableAscii.Is(url) || url.Contains('\\') || url.Contains(' ')) return false;
        var path = url.AsSpan(0, url.AsSpan().IndexOfAny('?', '#') is var q and >= 0 ? q : url.Length);
        foreach (var segment in path.ToString().Split('/'))
        {
            // Percent-encoded dots are dots to a server; refuse them too.
            var decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..") return false;
        }
        return true;
    }

    private static ProtocolException Bad(string field, string message) => new(message, field);

    public bool Equals(ShardManifest? other) =>
        other is not null && Model == other.Model && Revision == other.Revision && Family == other.Family && NLayer == other.NLayer && NEmbd == other.NEmbd
        && NHead == other.NHead && DType == other.DType && LayerNormEpsilon.Equals(other.LayerNormEpsilon)
        && Shards.SequenceEqual(other.Shards) && Equals(FinalNorm, other.FinalNorm);

    public override int GetHashCode() => HashCode.Combine(Model, Revision, NLayer, NEmbd, Shards.Count, FinalNorm);
}
