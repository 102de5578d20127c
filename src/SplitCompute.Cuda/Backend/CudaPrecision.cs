namespace SplitCompute.Cuda.Backend;

/// <summary>How the block's matrix products store their operands; the residual stream and every accumulation stay fp32.</summary>
public enum CudaPrecision
{
    /// <summary>fp16 weights and product inputs, fp32 accumulation: the serving mode.</summary>
    Float16,

    /// <summary>fp32 everywhere (true fp32 products, no TF32): matches the CPU backend and Hugging Face within 1e-4.</summary>
    Float32,
}
