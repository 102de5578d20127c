using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// Which weights a <see cref="TailRunner"/> holds bound: layers [<see cref="FirstLayer"/>, N) and the final norm of one model
/// revision. A later tail at k &gt;= FirstLayer of the same revision runs on them as they are (the layer-range API runs any
/// [k, N) of what the backend holds); any other tail rebinds [k, N) whole.
/// </summary>
internal sealed record TailResidency(string Model, string Revision, int FirstLayer, IReadOnlyList<string> Shards)
{
    public static TailResidency Of(ShardManifest manifest, int k) =>
        new(manifest.Model, manifest.Revision, k, [.. manifest.TailEntries.Select(s => s.Sha256)]);

    public bool Covers(ShardManifest manifest, int k) =>
        manifest.Model == Model && manifest.Revision == Revision && k >= FirstLayer;

    /// <summary>"gpt2@rev/[k,N)", for error messages.</summary>
    public string Label(int layerCount) => $"{Model}@{Revision}/[{FirstLayer},{layerCount})";
}
