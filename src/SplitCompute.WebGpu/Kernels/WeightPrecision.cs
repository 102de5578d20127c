namespace SplitCompute.WebGpu.Kernels;

/// <summary>How the four weight matrices of a block are stored on the GPU. Activations, biases and LayerNorm stay f32; sums are f32.</summary>
public enum WeightPrecision
{
    F32,

    /// <summary>Half the memory and upload; needs the adapter's shader-f16 feature.</summary>
    F16,
}
