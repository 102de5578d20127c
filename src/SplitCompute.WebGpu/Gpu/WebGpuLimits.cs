namespace SplitCompute.WebGpu.Gpu;

/// <summary>The device limits the kernels and the weight layout depend on, in bytes or counts.</summary>
public sealed record WebGpuLimits(
    long MaxBufferSize,
    long MaxStorageBufferBindingSize,
    long MaxComputeWorkgroupStorageSize,
    int MaxComputeInvocationsPerWorkgroup,
    int MaxStorageBuffersPerShaderStage,
    int MaxComputeWorkgroupsPerDimension);
