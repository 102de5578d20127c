using System.Text;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// Compiles each kernel once per device and keeps it: a key such as "matmul_f16_64x64" names the WGSL file plus its
/// specialisation and doubles as the pipeline's debug label. Specialisation replaces whole marked lines
/// (e.g. "alias Weight = f32;"), never concatenates code.
/// </summary>
internal sealed unsafe class KernelCache(WebGpuDevice device) : IDisposable
{
    private readonly Dictionary<string, ComputeKernel> _kernels = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The device the kernels compile for (its features decide some variants).</summary>
    public WebGpuDevice Device => device;

    /// <summary>
    /// The forms the capability probe's tuning measured fastest on this adapter (<see cref="Kernels.KernelChoice"/>), or null: then
    /// the subgroup forms run wherever the device has subgroups of at least 8. Set before the first backend compiles.
    /// </summary>
    public Kernels.KernelChoice? Choice { get; set; }

    /// <summary>The keys compiled so far (tests and diagnostics).</summary>
    public IReadOnlyList<string> Keys
    {
        get
        {
            lock (_gate) return [.. _kernels.Keys];
        }
    }

    public int Count
    {
        get
        {
            lock (_gate) return _kernels.Count;
        }
    }

    /// <param name="key">Cache key and label.</param>
    /// <param name="fileName">Embedded WGSL file.</param>
    /// <param name="replacements">Exact source lines to replace (each must occur), for variants such as f16 weights.</param>
    public ComputeKernel Get(string key, string fileName, params (string Line, string With)[] replacements)
    {
        lock (_gate)
        {
            if (_kernels.TryGetValue(key, out var cached)) return cached;
            var source = KernelSource.Read(fileName);
            foreach (var (line, with) in replacements)
            {
                if (!source.Contains(line, StringComparison.Ordinal)) throw new InvalidOperationException($"kernel {key}: '{line}' not found in {fileName}");
                source = source.Replace(line, with, StringComparison.Ordinal);
            }
            var kernel = Compile(key, source);
            _kernels.Add(key, kernel);
            return kernel;
        }
    }

    /// <summary>A kernel from WGSL source given directly (benchmarks comparing candidate kernels); cached under <paramref name="key"/>.</summary>
    public ComputeKernel GetSource(string key, string source)
    {
        lock (_gate)
        {
            if (_kernels.TryGetValue(key, out var cached)) return cached;
            var kernel = Compile(key, source);
            _kernels.Add(key, kernel);
            return kernel;
        }
    }

    private ComputeKernel Compile(string key, string source)
    {
        var label = Encoding.UTF8.GetBytes(key + "\0");
        var code = Encoding.UTF8.GetBytes(source + "\0");
        var entry = "main\0"u8.ToArray();
        fixed (byte* pLabel = label)
        fixed (byte* pCode = code)
        fixed (byte* pEntry = entry)
        {
            var wgsl = new WGPUShaderSourceWGSL { Chain = new WGPUChainedStruct { SType = WGPUSType.ShaderSourceWGSL }, Code = WGPUStringView.Of(pCode) };
            var moduleDescriptor = new WGPUShaderModuleDescriptor { NextInChain = (nint)(&wgsl), Label = WGPUStringView.Of(pLabel) };
            var pModuleDescriptor = &moduleDescriptor;
            using var module = device.Checked($"compiling kernel {key}",
                () => new ShaderModuleHandle(Wgpu.DeviceCreateShaderModule(device.Device.Raw, pModuleDescriptor)));
            var pipelineDescriptor = new WGPUComputePipelineDescriptor
            {
                Label = WGPUStringView.Of(pLabel),
                Compute = new WGPUComputeState { Module = module.Raw, EntryPoint = WGPUStringView.Of(pEntry) },
            };
            var pPipelineDescriptor = &pipelineDescriptor;
            var pipeline = device.Checked($"creating pipeline {key}",
                () => new ComputePipelineHandle(Wgpu.DeviceCreateComputePipeline(device.Device.Raw, pPipelineDescriptor)));
            try
            {
                var layout = device.Checked($"bind group layout of {key}",
                    () => new BindGroupLayoutHandle(Wgpu.ComputePipelineGetBindGroupLayout(pipeline.Raw, 0)));
                return new ComputeKernel(key, pipeline, layout);
            }
            catch
            {
                pipeline.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var kernel in _kernels.Values) kernel.Dispose();
            _kernels.Clear();
        }
    }
}
