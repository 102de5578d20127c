using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Chooses the head backend from Worker:Device. "auto" tries CUDA and falls back to the CPU only on
/// <see cref="CudaUnavailableException"/> (no library, driver or GPU); any other CUDA failure is a fault and stops the start.
/// "cuda" never falls back. The factories are injected so the policy is tested without a GPU.
/// </summary>
public static class BackendSelector
{
    public static (ILayerRangeBackend Backend, DeviceChoice Choice) Select(
        string device, Func<(ILayerRangeBackend Backend, string DeviceName)> cuda, Func<(ILayerRangeBackend Backend, string DeviceName)> cpu)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(cpu);
        switch (device)
        {
            case "cpu":
                return Wrap(cpu(), null);
            case "cuda":
                try
                {
                    return Wrap(cuda(), null);
                }
                catch (CudaUnavailableException e)
                {
                    throw new InvalidOperationException($"Worker:Device is 'cuda' but CUDA cannot be used: {e.Message}", e);
                }
            case "auto":
                try
                {
                    return Wrap(cuda(), null);
                }
                catch (CudaUnavailableException e)
                {
                    return Wrap(cpu(), e.Message);
                }
            default:
                throw new ArgumentException($"Worker:Device '{device}' is not one of auto, cuda, cpu", nameof(device));
        }
    }

    private static (ILayerRangeBackend, DeviceChoice) Wrap((ILayerRangeBackend Backend, string DeviceName) made, string? reason) =>
        (made.Backend, new DeviceChoice(made.Backend.Name, made.DeviceName, reason));
}
