using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Frames;

/// <summary>The decoded JSON header of a frame, already checked against the frame rules and the reader's limits.</summary>
internal sealed record FrameHeader(FrameKind Kind, string Model, string Revision, int K, int N, FrameDType DType, int[] Shape, int[] Lengths,
    FramePooling Pooling, string? RequestId, ShardManifest? Manifest, int PoolFrom = 0)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public long PayloadBytes => ElementCount * FrameFormat.SizeOf(DType);
}
