using SplitCompute.Protocol.Capabilities;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.WebGpu.Tests;

/// <summary>The capability probe on the real adapter: identity, limits, calibration, the capability headers and the per-adapter cache.</summary>
public sealed class ProbeTests
{
    [SkippableFact]
    public void The_probe_measures_the_adapter_and_fills_the_capability_headers()
    {
        var device = TestEnvironment.Device;
        var result = WebGpuProbe.Run(device);
        Assert.Equal(device.Description, result.Adapter);
        Assert.True(result.MatmulGflops is > 0.01 and < 1e6, $"matmul {result.MatmulGflops} GFLOP/s");
        Assert.True(result.UploadGBps is > 0.001 and < 10_000, $"upload {result.UploadGBps} GB/s");

        var capabilities = result.ToCapabilities();
        Assert.True(capabilities.HasWebGpu);
        Assert.Equal("vulkan", capabilities.Adapter!.Backend);
        Assert.Equal(device.Limits.MaxStorageBufferBindingSize, capabilities.Limits!.MaxStorageBinding);
        Assert.Equal(result.UploadGBps * 8, capabilities.Perf!.UploadGbps!.Value, 6);
        // The headers the gateway parses round-trip what the probe measured.
        var headers = CapabilityHeaderWriter.Write(capabilities);
        var parsed = CapabilityHeaderParser.Parse(name => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value);
        Assert.True(parsed.Warnings.Count == 0, string.Join("; ", parsed.Warnings));
        Assert.Equal(capabilities.Adapter, parsed.Capabilities!.Adapter);
        Assert.Equal(capabilities.Features, parsed.Capabilities.Features);
        Assert.Equal(capabilities.Limits, parsed.Capabilities.Limits);
    }

    [SkippableFact]
    public void The_tuning_times_every_form_the_adapter_can_run_and_picks_the_fastest()
    {
        var device = TestEnvironment.Device;
        var choice = KernelTuning.Measure(device);
        string[] products = device.HasSubgroupsOf8 ? ["tiled", "rows", "rows-subgroups"] : ["tiled", "rows"];
        string[] forms = device.HasSubgroupsOf8 ? ["plain", "subgroups"] : ["plain"];
        string[] timed = [.. products.Select(p => "product/" + p), .. forms.Select(f => "attention/" + f), .. forms.Select(f => "layernorm/" + f)];
        Assert.Equal(timed.Order(StringComparer.Ordinal), choice.Milliseconds.Keys.Order(StringComparer.Ordinal));
        Assert.All(choice.Milliseconds.Values, ms => Assert.True(ms is > 0 and < 60_000, $"{ms} ms"));
        Assert.Equal(products.MinBy(p => choice.Milliseconds["product/" + p]), choice.Product);
        Assert.Equal(forms.MinBy(f => choice.Milliseconds["attention/" + f]), choice.Attention);
        Assert.Equal(forms.MinBy(f => choice.Milliseconds["layernorm/" + f]), choice.LayerNorm);
    }

    [SkippableFact]
    public void The_probe_is_cached_per_adapter()
    {
        var device = TestEnvironment.Device;
        var directory = Directory.CreateTempSubdirectory("splitcompute-probe-").FullName;
        try
        {
            var first = WebGpuProbe.RunCached(device, directory);
            var path = WebGpuProbe.CachePath(device.Description, directory);
            Assert.True(File.Exists(path), $"no cache file at {path}");
            var second = WebGpuProbe.RunCached(device, directory);
            Assert.Equal(first.MeasuredAt, second.MeasuredAt);  // read back, not measured again
            Assert.Equal(first.MatmulGflops, second.MatmulGflops);
            Assert.Equal(first.Kernels!.Product, second.Kernels!.Product);  // the tuning travels with the cached probe
            Assert.Equal(first.Kernels, WebGpuProbe.CachedKernels(device.Description, directory), KernelChoiceComparer.Instance);
            Assert.Null(WebGpuProbe.CachedKernels(device.Description with { Device = "another GPU" }, directory));
            Assert.NotEqual(path, WebGpuProbe.CachePath(device.Description with { Device = "another GPU" }, directory));

            File.WriteAllText(path, "{ not json");
            var third = WebGpuProbe.RunCached(device, directory);  // a damaged entry is measured again
            Assert.NotEqual(first.MeasuredAt, third.MeasuredAt);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Kernel choices compare by their forms (the times are floats read back from JSON).</summary>
internal sealed class KernelChoiceComparer : IEqualityComparer<Kernels.KernelChoice?>
{
    public static readonly KernelChoiceComparer Instance = new();

    public bool Equals(Kernels.KernelChoice? x, Kernels.KernelChoice? y) =>
        x is null ? y is null : y is not null && (x.Product, x.Attention, x.LayerNorm) == (y.Product, y.Attention, y.LayerNorm);

    public int GetHashCode(Kernels.KernelChoice? obj) => obj is null ? 0 : HashCode.Combine(obj.Product, obj.Attention, obj.LayerNorm);
}
