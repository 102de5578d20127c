namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The adapter's WebGPU limits that decide whether a layer's weights fit (X-SplitCompute-Limits), in bytes:
/// maxBufferSize, maxStorageBufferBindingSize, maxComputeWorkgroupStorageSize.
/// </summary>
public sealed record AdapterLimits(long? MaxBuffer = null, long? MaxStorageBinding = null, long? MaxWorkgroupStorage = null);
