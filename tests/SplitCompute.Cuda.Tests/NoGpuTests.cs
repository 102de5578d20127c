using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Tests;

/// <summary>Where there is no GPU (CI), opening one fails with the one typed error callers fall back on, never a loader exception.</summary>
public sealed class NoGpuTests
{
    [SkippableFact]
    public void Without_cuda_opening_a_context_is_a_CudaUnavailableException_that_says_why()
    {
        CudaContext? context = null;
        try
        {
            context = CudaContext.Create();
        }
        catch (CudaUnavailableException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.True(e.Message.Contains("could not be loaded", StringComparison.Ordinal) || e.Message.Contains("cuInit", StringComparison.Ordinal)
                || e.Message.Contains("device", StringComparison.Ordinal), e.Message);
            return;
        }
        using (context)
        {
            Skip.If(true, $"a GPU is present ({context}): the no-CUDA path cannot be observed here");
        }
    }
}
