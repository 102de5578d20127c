using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Copies between the API's (B, T, ...) host arrays and a workspace's pinned (B_bucket, T_bucket, ...) staging buffers.
/// Padded positions get id 0 and mask 0; padded rows of x keep whatever they held (row-wise operations never mix rows, and
/// no real query attends to a masked key), so they are never rewritten.
/// </summary>
internal static unsafe class Staging
{
    /// <summary>Queues a copy of <paramref name="bytes"/> from pinned host memory to the device (no synchronisation).</summary>
    public static void Upload(CudaContext context, DeviceBuffer device, PinnedBuffer host, long bytes) =>
        CuDriver.Check(CuDriver.MemcpyHtoDAsync(device.Pointer, host.Pointer, (nuint)bytes, context.Stream), $"upload to {device.Label}");

    /// <summary>Copies the real rows of the workspace's x back into <paramref name="hidden"/> once the stream is done.</summary>
    public static void Download(CudaContext context, CudaWorkspace ws, HiddenState hidden, string what)
    {
        var bytes = (long)hidden.Batch.BatchSize * ws.Shape.Tokens * hidden.Channels * 4;
        CuDriver.Check(CuDriver.MemcpyDtoHAsync(ws.HostX.Pointer, ws.X.Pointer, (nuint)bytes, context.Stream), $"{what}: download of x");
        context.Synchronize(what);
        Unstage(ws, hidden);
    }

    /// <summary>Queues zeros into every activation of a new workspace: rows a request never uploads (padding) must hold finite values.</summary>
    public static void ZeroActivations(CudaContext context, CudaWorkspace ws)
    {
        foreach (var buffer in new[] { ws.X, ws.Normed, ws.Qkv, ws.Attention, ws.Mlp, ws.Mask, ws.Ids })
            CuDriver.Check(CuDriver.MemsetD8Async(buffer.Pointer, 0, (nuint)buffer.Bytes, context.Stream), $"zero {buffer.Label}");
    }

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
