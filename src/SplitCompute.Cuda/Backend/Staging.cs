using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Copies between the API's (B, T, ...) host arrays and a workspace's pinned (B_bucket, T_bucket, ...) staging buffers.
/// Padded positions get id 0 and mask 0; padded rows of x keep whatever they held (row-wise operations never mix rows, and
/// no real query attends to a masked key), so they are never rewritten.
/// </summary>
internal static class Staging
{
    public static void Hidden(HiddenState hidden, CudaWorkspace ws)
    {
        var (b, t, c) = (hidden.Batch.BatchSize, hidden.Batch.SequenceLength, hidden.Channels);
        var tb = ws.Shape.Tokens;
        var source = hidden.Data.AsSpan();
        var destination = ws.HostX.AsSpan<float>();
        if (t == tb)
        {
            source.CopyTo(destination);  // (B, T, C) contiguous
            return;
        }
        for (var s = 0; s < b; s++) source.Slice(s * t * c, t * c).CopyTo(destination.Slice(s * tb * c));
    }

    public static void Unstage(CudaWorkspace ws, HiddenState hidden)
    {
        var (b, t, c) = (hidden.Batch.BatchSize, hidden.Batch.SequenceLength, hidden.Channels);
        var tb = ws.Shape.Tokens;
        var source = ws.HostX.AsSpan<float>();
        var destination = hidden.Data.AsSpan();
        if (t == tb)
        {
            source[..destination.Length].CopyTo(destination);
            return;
        }
        for (var s = 0; s < b; s++) source.Slice(s * tb * c, t * c).CopyTo(destination.Slice(s * t * c));
    }

    public static void Mask(TokenBatch batch, CudaWorkspace ws)
    {
        var destination = ws.HostMask.AsSpan<byte>();
        destination.Clear();
        for (var s = 0; s < batch.BatchSize; s++) batch.SequenceMask(s).CopyTo(destination.Slice(s * ws.Shape.Tokens));
    }

    public static void Ids(TokenBatch batch, CudaWorkspace ws)
    {
        var destination = ws.HostIds.AsSpan<int>();
        destination.Clear();
        for (var s = 0; s < batch.BatchSize; s++) batch.SequenceIds(s).CopyTo(destination.Slice(s * ws.Shape.Tokens));
    }
}
