using SplitCompute.Cuda.Interop;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>Worker:Device: auto falls back to the CPU only when CUDA is unavailable, cuda never falls back, cpu never tries.</summary>
public sealed class BackendSelectorTests
{
    [Fact]
    public void Auto_uses_cuda_when_it_works()
    {
        using var gpu = new TinyModel();
        var (backend, choice) = BackendSelector.Select("auto", () => (gpu, "H100"), () => throw new InvalidOperationException("cpu must not be built"));
        Assert.Same(gpu, backend);
        Assert.Equal("H100", choice.DeviceName);
        Assert.Null(choice.FallbackReason);
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_with_the_reason_when_cuda_is_unavailable()
    {
        using var cpu = new TinyModel();
        var (backend, choice) = BackendSelector.Select("auto", () => throw new CudaUnavailableException("libcuda.so.1 not found"), () => (cpu, "2-core CPU"));
        Assert.Same(cpu, backend);
        Assert.Equal(("cpu", "2-core CPU", "libcuda.so.1 not found"), (choice.Device, choice.DeviceName, choice.FallbackReason));
    }

    [Fact]
    public void Auto_does_not_hide_a_real_cuda_fault()
    {
        using var cpu = new TinyModel();
        Assert.Throws<CudaException>(() => BackendSelector.Select("auto", () => throw new CudaException("cuModuleLoadData failed"), () => (cpu, "cpu")));
    }

    [Fact]
    public void Cuda_refuses_to_start_without_a_gpu_and_says_why()
    {
        using var cpu = new TinyModel();
        var error = Assert.Throws<InvalidOperationException>(() =>
            BackendSelector.Select("cuda", () => throw new CudaUnavailableException("no CUDA device"), () => (cpu, "cpu")));
        Assert.Contains("no CUDA device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_never_touches_cuda()
    {
        using var cpu = new TinyModel();
        var (backend, choice) = BackendSelector.Select("cpu", () => throw new InvalidOperationException("cuda must not be tried"), () => (cpu, "cpu"));
        Assert.Same(cpu, backend);
        Assert.Null(choice.FallbackReason);
    }

    [Fact]
    public void An_unknown_device_is_refused()
    {
        Assert.Throws<ArgumentException>(() => BackendSelector.Select("tpu", () => throw new InvalidOperationException(), () => throw new InvalidOperationException()));
    }
}
