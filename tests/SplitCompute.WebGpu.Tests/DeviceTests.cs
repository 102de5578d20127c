using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Tests;

/// <summary>The bindings against the pinned Dawn build: struct sizes, adapter discovery and the refusal of non-real adapters.</summary>
public sealed class DeviceTests
{
    [Fact]
    public void Struct_sizes_match_the_pinned_Dawn_build()
    {
        // Numbers from C sizeof on the same build (see StructSizes and docs/webgpu.md); a drift would corrupt memory on the first call.
        var wrong = StructSizes.All.Where(s => s.Actual != s.Expected).Select(s => $"{s.Name}: {s.Actual} != {s.Expected}").ToArray();
        Assert.True(wrong.Length == 0, string.Join("; ", wrong));
        Assert.Equal(152, System.Runtime.CompilerServices.Unsafe.SizeOf<WGPULimits>());
        Assert.Equal(144, System.Runtime.CompilerServices.Unsafe.SizeOf<WGPUDeviceDescriptor>());
    }

    [SkippableFact]
    public void The_device_is_a_real_Vulkan_adapter_with_usable_limits()
    {
        var device = TestEnvironment.Device;
        Assert.Equal("vulkan", device.Description.Backend);
        Assert.NotEqual("Null backend", device.Description.Device);
        Assert.True(device.Limits.MaxStorageBufferBindingSize >= 128L << 20, $"maxStorageBufferBindingSize {device.Limits.MaxStorageBufferBindingSize}");
        // The feature list and the device's f16 flag use the same numbering (a shifted enum would make them disagree).
        Assert.Equal(device.HasShaderF16, device.Features.Contains("shader-f16"));
        Assert.True(device.Limits.MaxComputeInvocationsPerWorkgroup >= 256, $"maxComputeInvocationsPerWorkgroup {device.Limits.MaxComputeInvocationsPerWorkgroup}");
    }
}
