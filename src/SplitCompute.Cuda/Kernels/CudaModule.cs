using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Kernels;

/// <summary>A loaded CUBIN and its kernels by name; unloaded on dispose.</summary>
internal sealed unsafe class CudaModule : IDisposable
{
    private nint _module;

    public CudaModule(CudaContext context, byte[] cubin, string label)
    {
        context.MakeCurrent();
        nint module;
        fixed (byte* image = cubin) CuDriver.Check(CuDriver.ModuleLoadData(&module, image), $"cuModuleLoadData({label})");
        _module = module;
        Label = label;
    }

    public string Label { get; }

    public nint Function(string name)
    {
        ObjectDisposedException.ThrowIf(_module == 0, this);
        nint function;
        CuDriver.Check(CuDriver.ModuleGetFunction(&function, _module, name), $"cuModuleGetFunction({Label}: {name})");
        return function;
    }

    public void Dispose()
    {
        if (_module == 0) return;
        CudaContext.EnterForRelease();
        _ = CuDriver.ModuleUnload(_module);
        _module = 0;
    }
}
