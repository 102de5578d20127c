using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Frames;

/// <summary>
/// A decoded frame: the residual stream after k of n layers (with the manifest for the rest), or finished embeddings.
/// Always consistent: the factories and <see cref="FrameReader"/> refuse anything else. Sequences are right-padded:
/// sequence b is valid at positions [0, lengths[b]); values at padded positions are unspecified (but finite) and must be ignored.
/// </summary>
public sealed class HiddenStateFrame
{
    private readonly int[] _shape;
    private readonly int[] _lengths;

    private HiddenStateFrame(FrameKind kind, string model, string revision, int k, int n, FrameDType dtype, int[] shape, int[] lengths,
        float[] data, ShardManifest? manifest, string? requestId, FramePooling pooling, int poolFrom)
    {
        Kind = kind;
        PoolFrom = poolFrom;
        Model = model;
        Revision = revision;
        LayersDone = k;
        LayerCount = n;
        DType = dtype;
        _shape = shape;
        _lengths = lengths;
        Data = data;
        Manifest = manifest;
        RequestId = requestId;
        Pooling = pooling;
    }

    public FrameKind Kind { get; }

    public string Model { get; }

    public string Revision { get; }

    /// <summary>k: blocks [0, k) have been applied.</summary>
    public int LayersDone { get; }

    /// <summary>n: the model's block count.</summary>
    public int LayerCount { get; }

    /// <summary>The payload's element type on the wire.</summary>
    public FrameDType DType { get; }

    /// <summary>[B, T, C] for hidden frames, [B, C] for embeddings frames.</summary>
    public IReadOnlyList<int> Shape => _shape;

    public int BatchSize => _shape[0];

    /// <summary>T for hidden frames; 1 for embeddings frames (one pooled row per sequence).</summary>
    public int SequenceLength => Kind == FrameKind.Hidden ? _shape[1] : 1;

    public int Channels => _shape[^1];

    /// <summary>Valid tokens per sequence; for embeddings frames, how many tokens were pooled (for usage accounting).</summary>
    public IReadOnlyList<int> Lengths => _lengths;

    /// <summary>Row-major payload, not copied: hidden (B, T, C) or embeddings (B, C).</summary>
    public float[] Data { get; }

    /// <summary>Shards for layers [k, n) plus the final norm; present exactly for hidden frames.</summary>
    public ShardManifest? Manifest { get; }

    public string? RequestId { get; }

    public FramePooling Pooling { get; }

    /// <summary>
    /// Hidden frames: the leading positions pooling leaves out (a prompt's tokens, when the model pools without them); 0 pools
    /// from the first. Sent only to clients that accept it (<see cref="MediaTypes.PoolFromParameter"/>).
    /// </summary>
    public int PoolFrom { get; }

    /// <summary>Row (b, t) of a hidden frame, or embedding b (t = 0) of an embeddings frame.</summary>
    public Span<float> Row(int b, int t = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(b, BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(t, SequenceLength);
        return Data.AsSpan(((b * SequenceLength) + t) * Channels, Channels);
    }

    /// <summary>A hidden-state frame after <paramref name="layersDone"/> of <paramref name="layerCount"/> blocks.</summary>
    /// <param name="manifest">Must cover exactly layers [k, n) (see <see cref="ShardManifest.Slice"/>) and match model, revision, n and C.</param>
    /// <exception cref="ArgumentException">Inconsistent arguments, or a value that is not finite (or overflows f16).</exception>
    public static HiddenStateFrame Hidden(string model, string revision, int layersDone, int layerCount,
        int batchSize, int sequenceLength, int channels, int[] lengths, float[] data, ShardManifest manifest,
        FrameDType dtype = FrameDType.F32, string? requestId = null, FramePooling pooling = FramePooling.Mean, int poolFrom = 0)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        try
        {
            manifest.Validate();
        }
        catch (ProtocolException e)
        {
            throw new ArgumentException($"invalid manifest: {e.Message}", nameof(manifest), e);
        }
        return Create(FrameKind.Hidden, model, revision, layersDone, layerCount, dtype, [batchSize, sequenceLength, channels], lengths, data, manifest, requestId, pooling, poolFrom);
    }

    /// <summary>A frame of finished embeddings, (B, C), produced by all <paramref name="layerCount"/> blocks.</summary>
    /// <exception cref="ArgumentException">Inconsistent arguments, or a value that is not finite (or overflows f16).</exception>
    public static HiddenStateFrame Embeddings(string model, string revision, int layerCount, int batchSize, int channels,
        int[] lengths, float[] data, FramePooling pooling, FrameDType dtype = FrameDType.F32, string? requestId = null) =>
        Create(FrameKind.Embeddings, model, revision, layerCount, layerCount, dtype, [batchSize, channels], lengths, data, null, requestId, pooling, 0);

    private static HiddenStateFrame Create(FrameKind kind, string model, string revision, int k, int n, FrameDType dtype, int[] shape,
        int[] lengths, float[] data, ShardManifest? manifest, string? requestId, FramePooling pooling, int poolFrom)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(data);
        if (FrameConsistency.Check(kind, model, revision, k, n, shape, lengths, manifest, requestId, poolFrom: poolFrom) is var (field, message))
            throw new ArgumentException($"{field}: {message}");
        var expected = shape.Aggregate(1L, (a, d) => a * d);
        if (data.LongLength != expected)
            throw new ArgumentException($"data has {data.LongLength} floats, expected {string.Join("*", shape)} = {expected}", nameof(data));
        // Refuse here rather than on the wire: a reader would reject the frame, and a silent Inf is a wrong embedding.
        var bad = FloatCodec.FirstUnencodable(data, dtype);
        if (bad >= 0)
            throw new ArgumentException($"data[{bad}] = {data[bad]} is not finite{(dtype == FrameDType.F16 ? " in f16 (|x| must be < 65520)" : "")}", nameof(data));
        return new HiddenStateFrame(kind, model, revision, k, n, dtype, shape, (int[])lengths.Clone(), data, manifest, requestId, pooling, poolFrom);
    }

    /// <summary>For the reader, which has checked everything already.</summary>
    internal static HiddenStateFrame Trusted(FrameHeader header, float[] data) =>
        new(header.Kind, header.Model, header.Revision, header.K, header.N, header.DType, header.Shape, header.Lengths, data,
            header.Manifest, header.RequestId, header.Pooling, header.PoolFrom);
}
