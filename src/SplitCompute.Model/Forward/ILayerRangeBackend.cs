namespace SplitCompute.Model.Forward;

/// <summary>
/// The contract every backend (CPU, WebGPU, CUDA) implements so a model can be cut at any layer k:
/// <c>Embed</c> -> <c>RunLayers(0, k)</c> on one machine, <c>RunLayers(k, N)</c> -> <c>Finish</c> on another.
/// Implementations are safe to call from several threads at once.
/// </summary>
public interface ILayerRangeBackend : IDisposable
{
    /// <summary>A short name for logs and headers: "cpu", "webgpu", "cuda".</summary>
    string Name { get; }

    /// <summary>The layer stack it runs (its family's own config stays on the concrete backend).</summary>
    LayerStackShape Shape { get; }

    /// <summary>Token + position embeddings: (B, T) ids -> (B, T, C), with LayersDone = 0.</summary>
    HiddenState Embed(TokenBatch batch);

    /// <summary>Applies blocks [from, to) in place. <paramref name="from"/> must equal hidden.LayersDone.</summary>
    void RunLayers(HiddenState hidden, int from, int to);

    /// <summary>
    /// What the model applies after its last block, in place on every position, (B, T, C) -> (B, T, C): GPT-2's final LayerNorm;
    /// nothing for post-LayerNorm encoders. Requires all N blocks done.
    /// </summary>
    void ApplyFinalNorm(HiddenState hidden);
}
