namespace SplitCompute.EdgeRuntime.Client;

/// <summary>Where the edge runs its tail layers.</summary>
public enum EdgeBackend
{
    /// <summary>The CPU backend (OpenBLAS): always available.</summary>
    Cpu,

    /// <summary>This device's GPU through Dawn (WebGPU, Vulkan). No adapter or a lost device: the cloud answers instead.</summary>
    WebGpu,
}
