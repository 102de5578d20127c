using SplitCompute.Model.Cpu;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.WebGpu.Backend;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>The backends a <see cref="TailRunner"/> can run the tail on, as factories over freshly bound weights.</summary>
public static class TailBackends
{
    /// <summary>The CPU backend (OpenBLAS): always available.</summary>
    public static ILayerRangeBackend Cpu(Gpt2Weights weights) => new CpuBackend(weights);

    /// <summary>
    /// Dawn (WebGPU) on the first Vulkan adapter, with its own device. Throws <see cref="WebGpu.NoWebGpuAdapterException"/> or
    /// <see cref="WebGpu.DawnLibraryNotFoundException"/> when there is none, so the edge client can fall back to the cloud.
    /// </summary>
    public static Func<Gpt2Weights, ILayerRangeBackend> WebGpu(WebGpuBackendOptions? options = null) =>
        weights => WebGpuBackend.Create(weights, options);

    /// <summary>A BERT-family encoder's tail on the CPU: the bound encoder runs itself.</summary>
    public static ILayerRangeBackend CpuEncoder(BertCpuEncoder encoder) => encoder;

    /// <summary>A BERT-family encoder's tail on Dawn (WebGPU), with its own device; throws as <see cref="WebGpu"/> does.</summary>
    public static Func<BertCpuEncoder, ILayerRangeBackend> WebGpuEncoder(WebGpuBackendOptions? options = null) =>
        encoder => WebGpuEncoderBackend.Create(encoder, options);
}
