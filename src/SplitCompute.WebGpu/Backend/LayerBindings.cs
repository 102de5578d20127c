using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Backend;

/// <summary>The bind groups of one block's dispatches (or of the final norm alone), in dispatch order.</summary>
internal sealed class LayerBindings(params BindGroup[] groups) : IDisposable
{
    public BindGroup this[int index] => groups[index];

    public void Dispose()
    {
        foreach (var group in groups) group.Dispose();
    }
}
