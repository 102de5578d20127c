using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SplitCompute.Model.SafeTensors;
using SplitCompute.WebGpu.Backend;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// Weight uploads through the staging ring: bytes arrive exactly (across slots, padded to whole words), a failed upload leaves
/// nothing queued, and each precision path gives the GPU the very bits the old widen-then-narrow path gave it.
/// </summary>
public sealed class UploadTests
{
    [SkippableFact]
    public void Uploads_larger_than_a_slot_and_small_ones_between_them_arrive_byte_for_byte()
    {
        var device = TestEnvironment.Device;
        var big = Pattern(2 * StagingRing.SlotBytes + 12_345 * 4, seed: 1);  // spans three slots
        var small = Pattern(6, seed: 2);                                        // one and a half words: padded
        var other = Pattern(StagingRing.SlotBytes - 8, seed: 3);
        using var a = GpuBuffer.Create(device, "test big", (ulong)big.Length, GpuBuffer.Storage);
        using var b = GpuBuffer.Create(device, "test small", (ulong)small.Length, GpuBuffer.Storage);
        using var c = GpuBuffer.Create(device, "test other", (ulong)other.Length, GpuBuffer.Storage);
        lock (device.Gate)
        {
            device.Staging.Write(b, small.Length, From(small));
            device.Staging.Write(a, big.Length, From(big));
            device.Staging.Write(c, other.Length, From(other));
            device.Staging.Flush("test");
        }
        Assert.Equal(big, ReadBack(device, a, big.Length));
        Assert.Equal([.. small, 0, 0], ReadBack(device, b, 8));
        Assert.Equal(other, ReadBack(device, c, other.Length));
    }

    [SkippableFact]
    public void A_fill_that_throws_leaves_nothing_queued_and_the_ring_keeps_working()
    {
        var device = TestEnvironment.Device;
        var data = Pattern(1 << 20, seed: 4);
        using var good = GpuBuffer.Create(device, "test good", (ulong)data.Length, GpuBuffer.Storage);
        lock (device.Gate)
        {
            using (var doomed = GpuBuffer.Create(device, "test doomed", (ulong)data.Length, GpuBuffer.Storage))
            {
                var failure = Assert.Throws<InvalidOperationException>(() =>
                    device.Staging.Write(doomed, data.Length, (_, _) => throw new InvalidOperationException("conversion failed")));
                Assert.Equal("conversion failed", failure.Message);
            }
            device.Staging.Write(good, data.Length, From(data));
            device.Staging.Flush("test");  // would fail validation if a copy into the disposed buffer were still queued
        }
        Assert.Equal(data, ReadBack(device, good, data.Length));
    }

    [SkippableFact]
    public void Copies_discarded_after_a_failure_elsewhere_in_the_upload_never_reach_the_GPU()
    {
        var device = TestEnvironment.Device;
        var data = Pattern(4096, seed: 5);
        using var good = GpuBuffer.Create(device, "test good", (ulong)data.Length, GpuBuffer.Storage);
        lock (device.Gate)
        {
            using (var first = GpuBuffer.Create(device, "test first of a failed upload", (ulong)data.Length, GpuBuffer.Storage))
            {
                device.Staging.Write(first, data.Length, From(data));  // queued; then the upload fails outside the ring
                device.DiscardStagedUploads();
            }
            device.Staging.Write(good, data.Length, From(data));
            device.Staging.Flush("test");  // fails validation if the copy into the disposed buffer were still queued
        }
        Assert.Equal(data, ReadBack(device, good, data.Length));
    }

    [SkippableFact]
    public void An_upload_larger_than_its_destination_is_refused_with_the_buffer_named()
    {
        var device = TestEnvironment.Device;
        using var buffer = GpuBuffer.Create(device, "test tiny", 16, GpuBuffer.Storage);
        lock (device.Gate)
        {
            var e = Assert.Throws<ArgumentException>(() => device.Staging.Write(buffer, 20, (_, _) => { }));
            Assert.Contains("test tiny", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Values that exercise rounding (ties, subnormals, overflow to infinity, signed zeros) and ordinary weights; more than a
    /// staging slot holds even as f16, so every conversion also crosses piece boundaries.
    /// </summary>
    private static float[] Awkward()
    {
        var random = new Random(7);
        float[] special =
        [
            0f, -0f, 1f, -1f, 65504f, 65520f, -70000f, 6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f, 1e-9f, float.PositiveInfinity,
            float.NegativeInfinity, 1.00048828125f, 1.00146484375f, 0.333333343f, 2049f, 2051f,
        ];
        return [.. special, .. Enumerable.Range(0, 4_500_001).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.2f)];
    }

    [SkippableFact]
    public void An_f32_file_narrowed_to_f16_while_staging_equals_the_old_narrowing_bit_for_bit()
    {
        var values = Awkward();
        using var file = TemporaryTensor.Write(TensorDType.F32, MemoryMarshal.AsBytes(values.AsSpan()), values.Length);
        var expected = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(file.Tensor.Span, expected);  // what GpuLayerWeights did before
        Assert.Equal(Bits(expected), Uploaded<ushort>(file.Tensor, WeightPrecision.F16));
    }

    [SkippableFact]
    public void An_f16_file_goes_up_as_stored_and_equals_the_old_widen_then_narrow_path_bit_for_bit()
    {
        var halves = Awkward().Select(v => (Half)v).ToArray();
        using var file = TemporaryTensor.Write(TensorDType.F16, MemoryMarshal.AsBytes(halves.AsSpan()), halves.Length);
        var uploaded = Uploaded<ushort>(file.Tensor, WeightPrecision.F16);
        unsafe { Assert.True(file.Tensor.Converted == null, "the f16 upload widened the tensor to f32 on the way"); }
        var widened = new float[halves.Length];
        TensorPrimitives.ConvertToSingle(halves, widened);  // the checkpoint's old eager widening
        var old = new Half[halves.Length];
        TensorPrimitives.ConvertToHalf(widened, old);       // and the backend's narrowing back
        Assert.Equal(Bits(old), uploaded);
        Assert.Equal(Bits(halves), uploaded);
    }

    [SkippableFact]
    public void An_f16_file_widened_for_f32_kernels_while_staging_equals_the_checkpoints_floats()
    {
        var halves = Awkward().Select(v => (Half)v).ToArray();
        using var file = TemporaryTensor.Write(TensorDType.F16, MemoryMarshal.AsBytes(halves.AsSpan()), halves.Length);
        var uploaded = Uploaded<uint>(file.Tensor, WeightPrecision.F32);
        Assert.Equal(file.Tensor.Span.ToArray().Select(BitConverter.SingleToUInt32Bits), uploaded);
    }

    [SkippableFact]
    public void A_bf16_file_goes_through_the_checkpoints_floats_for_either_precision()
    {
        var floats = Awkward().Where(float.IsFinite).ToArray();
        var bf16 = floats.Select(f => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)).ToArray();
        using var file = TemporaryTensor.Write(TensorDType.BF16, MemoryMarshal.AsBytes(bf16.AsSpan()), bf16.Length);
        Assert.Equal(file.Tensor.Span.ToArray().Select(BitConverter.SingleToUInt32Bits), Uploaded<uint>(file.Tensor, WeightPrecision.F32));
        var narrowed = new Half[floats.Length];
        TensorPrimitives.ConvertToHalf(file.Tensor.Span, narrowed);
        Assert.Equal(Bits(narrowed), Uploaded<ushort>(file.Tensor, WeightPrecision.F16));
    }

    private static T[] Uploaded<T>(WeightTensor tensor, WeightPrecision precision) where T : unmanaged
    {
        var device = TestEnvironment.Device;
        lock (device.Gate)
        {
            using var buffer = TensorUpload.Upload(device, tensor, precision);
            device.Staging.Flush("test");
            var elementBytes = precision == WeightPrecision.F16 ? 2 : 4;
            return MemoryMarshal.Cast<byte, T>(ReadBack(device, buffer, tensor.Length * elementBytes)).ToArray();
        }
    }

    private static ushort[] Bits(Half[] values) => [.. values.Select(BitConverter.HalfToUInt16Bits)];

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static StagingRing.Filler From(byte[] source) => (target, offset) => source.AsSpan((int)offset, target.Length).CopyTo(target);

    private static byte[] ReadBack(WebGpuDevice device, GpuBuffer buffer, int bytes)
    {
        var rounded = (bytes + 3) & ~3;
        using var readback = GpuBuffer.Create(device, $"{buffer.Label} readback", (ulong)rounded, GpuBuffer.Readback);
        using (var recorder = new CommandRecorder(device, $"reading {buffer.Label}"))
        {
            recorder.Copy(buffer, readback, (ulong)rounded);
            recorder.Submit();
        }
        var output = new byte[rounded];
        readback.ReadMapped<byte>(device, output);
        return output[..bytes];
    }

    /// <summary>A one-tensor safetensors file opened as a checkpoint, deleted on dispose.</summary>
    private sealed class TemporaryTensor : IDisposable
    {
        private readonly string _directory;
        private readonly Checkpoint _checkpoint;

        private TemporaryTensor(string directory, Checkpoint checkpoint, WeightTensor tensor)
        {
            _directory = directory;
            _checkpoint = checkpoint;
            Tensor = tensor;
        }

        public WeightTensor Tensor { get; }

        public static TemporaryTensor Write(TensorDType dtype, ReadOnlySpan<byte> bytes, int length)
        {
            var directory = Directory.CreateTempSubdirectory("splitcompute-upload-").FullName;
            var copy = bytes.ToArray();
            var writer = new SafeTensorsWriter();
            writer.Add("h.0.mlp.c_fc.weight", dtype, [length], s => copy.CopyTo(s));
            writer.Write(Path.Combine(directory, Checkpoint.SingleFileName));
            var checkpoint = Checkpoint.Open(directory);
            return new TemporaryTensor(directory, checkpoint, checkpoint.ReadFloat32("h.0.mlp.c_fc.weight", length));
        }

        public void Dispose()
        {
            _checkpoint.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
