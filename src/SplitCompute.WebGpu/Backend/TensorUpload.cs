using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SplitCompute.Model.SafeTensors;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// One weight tensor into a new GPU buffer of the precision the kernels read, written straight into the staging ring from the
/// tensor's stored bytes in the file mapping: a copy when the file already holds that precision (f32 for f32, f16 for f16),
/// else one conversion pass (f32 narrowed to f16 with round-to-nearest-even, f16 widened to f32). No float copy of an f16 file
/// is made on the way (the checkpoint only widens when someone reads the floats), and nothing is converted twice.
/// </summary>
internal static unsafe class TensorUpload
{
    public static GpuBuffer Upload(WebGpuDevice device, WeightTensor tensor, WeightPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var half = precision == WeightPrecision.F16;
        var bytes = (long)tensor.Length * (half ? 2 : 4);
        var buffer = GpuBuffer.Create(device, $"{tensor.Name} {(half ? "f16" : "f32")}", (ulong)bytes, GpuBuffer.Storage);
        try
        {
            device.Staging.Write(buffer, bytes, Filler(tensor, precision));
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Host floats (a re-laid-out tensor, e.g. transposed) into a new GPU buffer of <paramref name="precision"/>.</summary>
    public static GpuBuffer Upload(WebGpuDevice device, string label, float[] values, WeightPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(values);
        var half = precision == WeightPrecision.F16;
        var bytes = (long)values.Length * (half ? 2 : 4);
        var buffer = GpuBuffer.Create(device, $"{label} {(half ? "f16" : "f32")}", (ulong)bytes, GpuBuffer.Storage);
        try
        {
            device.Staging.Write(buffer, bytes, half
                ? (target, offset) => TensorPrimitives.ConvertToHalf(values.AsSpan((int)(offset / 2), target.Length / 2), MemoryMarshal.Cast<byte, Half>(target))
                : (target, offset) => MemoryMarshal.AsBytes(values.AsSpan((int)(offset / 4), target.Length / 4)).CopyTo(target));
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Writes the destination bytes [offset, offset + target.Length) of <paramref name="tensor"/> in <paramref name="precision"/>.</summary>
    internal static StagingRing.Filler Filler(WeightTensor tensor, WeightPrecision precision)
    {
        var half = precision == WeightPrecision.F16;
        return (tensor.StoredDType, half) switch
        {
            (TensorDType.F32, false) or (TensorDType.F16, true) => (target, offset) =>
                new ReadOnlySpan<byte>(tensor.StoredPointer + offset, target.Length).CopyTo(target),
            (TensorDType.F32, true) => (target, offset) =>
                TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(tensor.StoredPointer + offset * 2, target.Length / 2), MemoryMarshal.Cast<byte, Half>(target)),
            (TensorDType.F16, false) => (target, offset) =>
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(tensor.StoredPointer + offset / 2, target.Length / 4), MemoryMarshal.Cast<byte, float>(target)),
            // BF16 (rare in GPT-2 checkpoints): through the checkpoint's float copy, widened exactly once.
            (_, false) => (target, offset) =>
                MemoryMarshal.AsBytes(tensor.Span.Slice((int)(offset / 4), target.Length / 4)).CopyTo(target),
            (_, true) => (target, offset) =>
                TensorPrimitives.ConvertToHalf(tensor.Span.Slice((int)(offset / 2), target.Length / 2), MemoryMarshal.Cast<byte, Half>(target)),
        };
    }
}
