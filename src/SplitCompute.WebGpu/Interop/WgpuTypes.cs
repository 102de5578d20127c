using System.Runtime.InteropServices;
using System.Text;

namespace SplitCompute.WebGpu.Interop;

// Blittable mirrors of the webgpu.h (v1 API) structs this project uses, laid out as Dawn in bun-webgpu-linux-x64@0.1.7 has them.
// WGPUBool is uint32, flags are uint64, size_t and handles are nint/nuint. Sizes are asserted by StructSizes at start-up.

/// <summary>WGPUStringView: pointer + length; length SIZE_MAX means NUL-terminated. 16 bytes, passed by value in callbacks.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUStringView
{
    public byte* Data;
    public nuint Length;

    public static readonly nuint NulTerminated = nuint.MaxValue;

    /// <summary>A view of a pinned UTF-8 NUL-terminated buffer (the caller keeps it alive for the call).</summary>
    public static WGPUStringView Of(byte* utf8) => new() { Data = utf8, Length = NulTerminated };

    public override readonly string ToString()
    {
        if (Data is null) return string.Empty;
        if (Length == NulTerminated) return Marshal.PtrToStringUTF8((nint)Data) ?? string.Empty;
        return Encoding.UTF8.GetString(Data, checked((int)Length));
    }
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUChainedStruct
{
    public nint Next;
    public uint SType;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUInstanceDescriptor
{
    public nint NextInChain;
    public nuint RequiredFeatureCount;
    public uint* RequiredFeatures;   // WGPUInstanceFeatureName
    public nint RequiredLimits;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPURequestAdapterOptions
{
    public nint NextInChain;
    public uint FeatureLevel;
    public uint PowerPreference;
    public uint ForceFallbackAdapter;  // WGPUBool
    public uint BackendType;
    public nint CompatibleSurface;
}

/// <summary>The common shape of every WGPU*CallbackInfo that has a mode (RequestAdapter, RequestDevice, PopErrorScope, BufferMap, QueueWorkDone, DeviceLost): 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WGPUCallbackInfo
{
    public nint NextInChain;
    public uint Mode;
    public nint Callback;
    public nint Userdata1;
    public nint Userdata2;
}

/// <summary>WGPUUncapturedErrorCallbackInfo has no mode: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WGPUUncapturedErrorCallbackInfo
{
    public nint NextInChain;
    public nint Callback;
    public nint Userdata1;
    public nint Userdata2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUAdapterInfo
{
    public nint NextInChain;
    public WGPUStringView Vendor;
    public WGPUStringView Architecture;
    public WGPUStringView Device;
    public WGPUStringView Description;
    public uint BackendType;
    public uint AdapterType;
    public uint VendorId;
    public uint DeviceId;
    public uint SubgroupMinSize;
    public uint SubgroupMaxSize;
}

/// <summary>WGPULimits as this Dawn build has it: 152 bytes, ending at maxImmediateSize.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WGPULimits
{
    public nint NextInChain;
    public uint MaxTextureDimension1D;
    public uint MaxTextureDimension2D;
    public uint MaxTextureDimension3D;
    public uint MaxTextureArrayLayers;
    public uint MaxBindGroups;
    public uint MaxBindGroupsPlusVertexBuffers;
    public uint MaxBindingsPerBindGroup;
    public uint MaxDynamicUniformBuffersPerPipelineLayout;
    public uint MaxDynamicStorageBuffersPerPipelineLayout;
    public uint MaxSampledTexturesPerShaderStage;
    public uint MaxSamplersPerShaderStage;
    public uint MaxStorageBuffersPerShaderStage;
    public uint MaxStorageTexturesPerShaderStage;
    public uint MaxUniformBuffersPerShaderStage;
    public ulong MaxUniformBufferBindingSize;
    public ulong MaxStorageBufferBindingSize;
    public uint MinUniformBufferOffsetAlignment;
    public uint MinStorageBufferOffsetAlignment;
    public uint MaxVertexBuffers;
    public ulong MaxBufferSize;
    public uint MaxVertexAttributes;
    public uint MaxVertexBufferArrayStride;
    public uint MaxInterStageShaderVariables;
    public uint MaxColorAttachments;
    public uint MaxColorAttachmentBytesPerSample;
    public uint MaxComputeWorkgroupStorageSize;
    public uint MaxComputeInvocationsPerWorkgroup;
    public uint MaxComputeWorkgroupSizeX;
    public uint MaxComputeWorkgroupSizeY;
    public uint MaxComputeWorkgroupSizeZ;
    public uint MaxComputeWorkgroupsPerDimension;
    public uint MaxImmediateSize;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUQueueDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUDeviceDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
    public nuint RequiredFeatureCount;
    public uint* RequiredFeatures;  // WGPUFeatureName
    public WGPULimits* RequiredLimits;
    public WGPUQueueDescriptor DefaultQueue;
    public WGPUCallbackInfo DeviceLostCallbackInfo;
    public WGPUUncapturedErrorCallbackInfo UncapturedErrorCallbackInfo;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUSupportedFeatures
{
    public nuint FeatureCount;
    public nint Features;  // const WGPUFeatureName*
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUBufferDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
    public ulong Usage;
    public ulong Size;
    public uint MappedAtCreation;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUShaderModuleDescriptor
{
    public nint NextInChain;  // -> WGPUShaderSourceWGSL
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUShaderSourceWGSL
{
    public WGPUChainedStruct Chain;
    public WGPUStringView Code;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUConstantEntry
{
    public nint NextInChain;
    public WGPUStringView Key;
    public double Value;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUComputeState
{
    public nint NextInChain;
    public nint Module;
    public WGPUStringView EntryPoint;
    public nuint ConstantCount;
    public WGPUConstantEntry* Constants;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUComputePipelineDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
    public nint Layout;  // null: layout derived from the shader ("auto"), read back with GetBindGroupLayout
    public WGPUComputeState Compute;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUBindGroupEntry
{
    public nint NextInChain;
    public uint Binding;
    public nint Buffer;
    public ulong Offset;
    public ulong Size;
    public nint Sampler;
    public nint TextureView;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUBindGroupDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
    public nint Layout;
    public nuint EntryCount;
    public WGPUBindGroupEntry* Entries;
}

/// <summary>Shape of WGPUCommandEncoderDescriptor and WGPUCommandBufferDescriptor: chain + label.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WGPULabelDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUComputePassDescriptor
{
    public nint NextInChain;
    public WGPUStringView Label;
    public nint TimestampWrites;
}

[StructLayout(LayoutKind.Sequential)]
internal struct WGPUFutureWaitInfo
{
    public ulong Future;
    public uint Completed;  // WGPUBool
}

/// <summary>
/// WGPUDawnTogglesDescriptor (Dawn-specific, sType <see cref="WGPUSType.DawnTogglesDescriptor"/>): toggles by name, chained onto
/// WGPUInstanceDescriptor, WGPURequestAdapterOptions or WGPUDeviceDescriptor. 48 bytes. Only the diagnostics use it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUDawnTogglesDescriptor
{
    public WGPUChainedStruct Chain;
    public nuint EnabledToggleCount;
    public byte** EnabledToggles;   // const char* const*
    public nuint DisabledToggleCount;
    public byte** DisabledToggles;  // const char* const*
}

/// <summary>WGPUSubgroupMatrixConfig: one shape the adapter multiplies (component types are WGPUSubgroupMatrixComponentType). 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WGPUSubgroupMatrixConfig
{
    public uint ComponentType;
    public uint ResultComponentType;
    public uint M;
    public uint N;
    public uint K;
}

/// <summary>
/// WGPUAdapterPropertiesSubgroupMatrixConfigs (Dawn-specific, sType <see cref="WGPUSType.AdapterPropertiesSubgroupMatrixConfigs"/>):
/// chained into WGPUAdapterInfo, filled by wgpuAdapterGetInfo when the adapter has chromium-experimental-subgroup-matrix; freed with
/// wgpuAdapterPropertiesSubgroupMatrixConfigsFreeMembers. 32 bytes. Only the diagnostics use it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WGPUAdapterPropertiesSubgroupMatrixConfigs
{
    public WGPUChainedStruct Chain;
    public nuint ConfigCount;
    public WGPUSubgroupMatrixConfig* Configs;
}
