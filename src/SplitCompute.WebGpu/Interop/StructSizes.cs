using System.Runtime.CompilerServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>
/// The struct sizes of the pinned Dawn build (measured with C sizeof against its webgpu.h; docs/webgpu.md), checked before the first
/// native call: a mismatch means the bindings and the library disagree, and every call after it would corrupt memory.
/// </summary>
internal static class StructSizes
{
    public static IReadOnlyList<(string Name, int Actual, int Expected)> All { get; } =
    [
        ("WGPUStringView", Unsafe.SizeOf<WGPUStringView>(), 16),
        ("WGPUCallbackInfo", Unsafe.SizeOf<WGPUCallbackInfo>(), 40),
        ("WGPUUncapturedErrorCallbackInfo", Unsafe.SizeOf<WGPUUncapturedErrorCallbackInfo>(), 32),
        ("WGPUAdapterInfo", Unsafe.SizeOf<WGPUAdapterInfo>(), 96),
        ("WGPULimits", Unsafe.SizeOf<WGPULimits>(), 152),
        ("WGPUDeviceDescriptor", Unsafe.SizeOf<WGPUDeviceDescriptor>(), 144),
        ("WGPUBindGroupEntry", Unsafe.SizeOf<WGPUBindGroupEntry>(), 56),
        ("WGPUInstanceDescriptor", Unsafe.SizeOf<WGPUInstanceDescriptor>(), 32),
        ("WGPURequestAdapterOptions", Unsafe.SizeOf<WGPURequestAdapterOptions>(), 32),
        ("WGPUBufferDescriptor", Unsafe.SizeOf<WGPUBufferDescriptor>(), 48),
        ("WGPUShaderSourceWGSL", Unsafe.SizeOf<WGPUShaderSourceWGSL>(), 32),
        ("WGPUComputePipelineDescriptor", Unsafe.SizeOf<WGPUComputePipelineDescriptor>(), 80),
        ("WGPUBindGroupDescriptor", Unsafe.SizeOf<WGPUBindGroupDescriptor>(), 48),
        ("WGPUComputePassDescriptor", Unsafe.SizeOf<WGPUComputePassDescriptor>(), 32),
        ("WGPUFutureWaitInfo", Unsafe.SizeOf<WGPUFutureWaitInfo>(), 16),
        ("WGPUConstantEntry", Unsafe.SizeOf<WGPUConstantEntry>(), 32),
        ("WGPUDawnTogglesDescriptor", Unsafe.SizeOf<WGPUDawnTogglesDescriptor>(), 48),
        ("WGPUSubgroupMatrixConfig", Unsafe.SizeOf<WGPUSubgroupMatrixConfig>(), 20),
        ("WGPUAdapterPropertiesSubgroupMatrixConfigs", Unsafe.SizeOf<WGPUAdapterPropertiesSubgroupMatrixConfigs>(), 32),
    ];

    /// <summary>Throws <see cref="WebGpuException"/> naming every struct whose size differs from the pinned build's.</summary>
    public static void Verify()
    {
        var wrong = All.Where(s => s.Actual != s.Expected).Select(s => $"{s.Name} is {s.Actual} bytes, Dawn has {s.Expected}").ToArray();
        if (wrong.Length > 0)
            throw new WebGpuException($"webgpu.h bindings do not match the pinned Dawn build: {string.Join("; ", wrong)}");
    }
}
