using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Frames;

/// <summary>
/// The structural rules of a frame, shared by the factories (which throw ArgumentException: a caller bug) and the
/// reader (which throws ProtocolException: bad input), so both sides accept exactly the same frames.
/// </summary>
internal static class FrameConsistency
{
    public const int MaxRequestIdLength = 128;

    /// <summary>The first broken rule as (field, message), or null when the frame is consistent.</summary>
    public static (string Field, string Message)? Check(FrameKind kind, string? model, string? revision, int k, int n,
        IReadOnlyList<int> shape, IReadOnlyList<int> lengths, ShardManifest? manifest, string? requestId, int maxEmbeddingLength = int.MaxValue, int poolFrom = 0)
    {
        if (!PrintableAscii.IsIdentifier(model)) return ("model", $"expected 1..{PrintableAscii.MaxIdentifierLength} printable ASCII chars, found {PrintableAscii.Quote(model)}");
        if (!PrintableAscii.IsIdentifier(revision)) return ("revision", $"expected 1..{PrintableAscii.MaxIdentifierLength} printable ASCII chars, found {PrintableAscii.Quote(revision)}");
        if (requestId is not null && (requestId.Length is 0 or > MaxRequestIdLength || !PrintableAscii.Is(requestId)))
            return ("request_id", $"expected 1..{MaxRequestIdLength} printable ASCII chars, found {PrintableAscii.Quote(requestId)}");
        if (n < 1) return ("n", $"expected >= 1, found {n}");
        if (k < 0 || k > n) return ("k", $"expected 0 <= k <= n = {n}, found {k}");
        if (kind == FrameKind.Embeddings && k != n) return ("k", $"an embeddings frame has all layers done: expected k = n = {n}, found {k}");

        var rank = kind == FrameKind.Hidden ? 3 : 2;
        if (shape.Count != rank)
            return ("shape", $"{(kind == FrameKind.Hidden ? "a hidden" : "an embeddings")} frame has shape {(rank == 3 ? "[B, T, C]" : "[B, C]")}: expected {rank} dimensions, found {shape.Count}");
        for (var i = 0; i < rank; i++)
        {
            if (shape[i] < 1) return ($"shape[{i}]", $"expected >= 1, found {shape[i]}");
        }
        var batch = shape[0];
        var t = kind == FrameKind.Hidden ? shape[1] : maxEmbeddingLength;
        if (lengths.Count != batch) return ("lengths", $"expected one length per sequence: B = {batch}, found {lengths.Count}");
        for (var b = 0; b < lengths.Count; b++)
        {
            if (lengths[b] < 1 || lengths[b] > t) return ($"lengths[{b}]", $"expected 1..{t}, found {lengths[b]}");
        }

        if (poolFrom < 0) return ("pool_from", $"expected >= 0, found {poolFrom}");
        if (kind == FrameKind.Embeddings)
        {
            if (poolFrom != 0) return ("pool_from", "an embeddings frame is pooled already: pool_from must be absent");
            return manifest is null ? null : ("manifest", "an embeddings frame carries no manifest");
        }
        for (var b = 0; b < lengths.Count; b++)
        {
            if (poolFrom >= lengths[b]) return ("pool_from", $"sequence {b} has {lengths[b]} positions: pooling from position {poolFrom} would pool nothing");
        }
        if (manifest is null) return ("manifest", "a hidden frame must carry the manifest for layers [k, n), found none");
        if (manifest.Model != model) return ("manifest.model", $"expected the frame's model {PrintableAscii.Quote(model)}, found {PrintableAscii.Quote(manifest.Model)}");
        if (manifest.Revision != revision) return ("manifest.revision", $"expected the frame's revision {PrintableAscii.Quote(revision)}, found {PrintableAscii.Quote(manifest.Revision)}");
        if (manifest.NLayer != n) return ("manifest.n_layer", $"expected n = {n}, found {manifest.NLayer}");
        if (manifest.NEmbd != shape[2]) return ("manifest.n_embd", $"expected C = {shape[2]}, found {manifest.NEmbd}");
        if (manifest.Shards.Count != n - k || (k < n && manifest.FirstLayer != k))
            return ("manifest.shards", $"expected layers [{k}, {n}), found [{manifest.FirstLayer}, {manifest.EndLayer})");
        return null;
    }
}
