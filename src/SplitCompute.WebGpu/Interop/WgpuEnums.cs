namespace SplitCompute.WebGpu.Interop;

// The enum and flag values of webgpu.h (v1) this project uses. Plain constants, because the C enums are uint32 and the flags uint64.

internal static class WGPUBackendType
{
    public const uint Undefined = 0, Null = 1, WebGPU = 2, D3D11 = 3, D3D12 = 4, Metal = 5, Vulkan = 6, OpenGL = 7, OpenGLES = 8;

    public static string Name(uint value) => value switch
    {
        Undefined => "undefined", Null => "null", WebGPU => "webgpu", D3D11 => "d3d11", D3D12 => "d3d12", Metal => "metal",
        Vulkan => "vulkan", OpenGL => "opengl", OpenGLES => "opengles", _ => $"backend#{value}",
    };

    /// <summary>A backend that drives a real device (Dawn's Null backend computes nothing and returns zeros).</summary>
    public static bool IsReal(uint value) => value is D3D11 or D3D12 or Metal or Vulkan or OpenGL or OpenGLES;
}

internal static class WGPUAdapterType
{
    public static string Name(uint value) => value switch
    {
        1 => "discrete-gpu", 2 => "integrated-gpu", 3 => "cpu", 4 => "unknown", _ => $"type#{value}",
    };
}

internal static class WGPUFeatureName
{
    // This build numbers the standard features from DepthClipControl = 1 with CoreFeaturesAndLimits last (0x12); newer
    // webgpu.h headers put CoreFeaturesAndLimits first and shift the rest by one. Verified here: requiring 0x0B does not
    // enable "enable f16;" in WGSL, requiring 0x0A does (KernelTests' f16 test fails otherwise).
    public const uint ShaderF16 = 0x0A;
    public const uint Subgroups = 0x11;

    /// <summary>WebGPU spelling of the standard features (the numbering of this Dawn build), for the capability headers.</summary>
    public static string? Name(uint value) => value switch
    {
        0x01 => "depth-clip-control", 0x02 => "depth32float-stencil8", 0x03 => "timestamp-query",
        0x04 => "texture-compression-bc", 0x05 => "texture-compression-bc-sliced-3d", 0x06 => "texture-compression-etc2",
        0x07 => "texture-compression-astc", 0x08 => "texture-compression-astc-sliced-3d", 0x09 => "indirect-first-instance",
        0x0A => "shader-f16", 0x0B => "rg11b10ufloat-renderable", 0x0C => "bgra8unorm-storage", 0x0D => "float32-filterable",
        0x0E => "float32-blendable", 0x0F => "clip-distances", 0x10 => "dual-source-blending", 0x11 => "subgroups",
        0x12 => "core-features-and-limits",
        _ => null,  // Dawn-specific features are not sent to the gateway
    };
}

internal static class WGPUInstanceFeatureName
{
    public const uint TimedWaitAny = 1;
}

internal static class WGPUCallbackMode
{
    public const uint WaitAnyOnly = 1, AllowProcessEvents = 2;
}

internal static class WGPUDeviceLostReason
{
    public const uint Unknown = 1, Destroyed = 2, CallbackCancelled = 3, FailedCreation = 4;

    public static string Name(uint value) => value switch
    {
        Unknown => "unknown (driver reset, GPU removed)", Destroyed => "destroyed", CallbackCancelled => "callback cancelled",
        FailedCreation => "failed creation", _ => $"reason#{value}",
    };
}

internal static class WGPUStatus
{
    public const uint Success = 1;
}

internal static class WGPUWaitStatus
{
    public const uint Success = 1, TimedOut = 2, Error = 3;
}

internal static class WGPUErrorFilter
{
    public const uint Validation = 1, OutOfMemory = 2, Internal = 3;
}

internal static class WGPUErrorType
{
    public const uint NoError = 1;

    public static string Name(uint value) => value switch
    {
        1 => "no error", 2 => "validation error", 3 => "out of memory", 4 => "internal error", _ => "unknown error",
    };
}

internal static class WGPUSType
{
    public const uint ShaderSourceWGSL = 2;

    // Dawn-specific chained structs (0x0005xxxx), used only by the webgpu-features diagnostic. Both values were confirmed on
    // this build by Dawn's reactions: the toggles take effect, and the H200 filled sensible subgroup-matrix configurations.
    public const uint DawnTogglesDescriptor = 0x0005000A;
    public const uint AdapterPropertiesSubgroupMatrixConfigs = 0x0005003B;
}

internal static class WGPUSubgroupMatrixComponentType
{
    public static string Name(uint value) => value switch
    {
        1 => "f32", 2 => "f16", 3 => "u32", 4 => "i32", 5 => "u8", 6 => "i8", _ => $"component#{value}",
    };
}

internal static class WGPUBufferUsage
{
    public const ulong MapRead = 0x1, MapWrite = 0x2, CopySrc = 0x4, CopyDst = 0x8, Uniform = 0x40, Storage = 0x80;
}

internal static class WGPUMapMode
{
    public const ulong Read = 0x1, Write = 0x2;
}
