using System.Text.Json;
using SplitCompute.Model.Gpt2;
using SplitCompute.WebGpu.Backend;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// The probe's tuned kernel forms reach the backends: a backend on a fresh device reads the choice cached for its adapter,
/// compiles exactly those forms (a subgroup form only where the device can run it) and still matches Hugging Face's outputs.
/// </summary>
public sealed class TunedKernelTests
{
    public static TheoryData<string, string, string> Choices => new()
    {
        { KernelChoice.Tiled, KernelChoice.Plain, KernelChoice.Plain },
        { KernelChoice.Rows, KernelChoice.Plain, KernelChoice.Subgroups },
        { KernelChoice.RowsSubgroups, KernelChoice.Subgroups, KernelChoice.Plain },
    };

    [SkippableTheory]
    [MemberData(nameof(Choices))]
    public void A_backend_runs_the_forms_tuned_for_its_adapter_and_matches_the_reference(string product, string attention, string layerNorm)
    {
        _ = TestEnvironment.Device;  // skips with the reason where there is no adapter
        using var device = WebGpuDevice.Open();  // fresh: the first backend on a device applies the tuning
        var directory = Directory.CreateTempSubdirectory("splitcompute-tuned-").FullName;
        try
        {
            var choice = new KernelChoice(product, attention, layerNorm, new Dictionary<string, double>());
            var saved = new WebGpuProbeResult(device.Description, device.Limits, device.Features, 1, "test", 1, 1, DateTimeOffset.UtcNow) { Kernels = choice };
            File.WriteAllBytes(WebGpuProbe.CachePath(device.Description, directory), JsonSerializer.SerializeToUtf8Bytes(saved));

            using var reference = HuggingFaceReference.Fixture("gpt2-mini");
            using var weights = Gpt2Weights.Load(reference.ModelDirectory);
            using var backend = new WebGpuBackend(weights, device, new WebGpuBackendOptions { TunedKernelsDirectory = directory });
            var hidden = reference.HiddenBefore(0, weights.Config.NEmbd);
            backend.RunLayers(hidden, 0, weights.Config.NLayer);
            var max = reference.MaxDifferenceOnValidPositions(hidden.Data, $"block_out.{weights.Config.NLayer - 1}");
            Assert.True(max <= Tolerance.F32, $"{product}/{attention}/{layerNorm}: max |difference| {max:E3}");

            var subgroups = device.HasSubgroupsOf8;
            var keys = device.Kernels.Keys;
            Assert.Contains(product switch
            {
                KernelChoice.Tiled => "matmul_f32_64x64",
                KernelChoice.RowsSubgroups when subgroups => "matmul_rows16x64_sg_f32",
                _ => "matmul_rows16x64_f32",
            }, keys);
            Assert.Contains(attention == KernelChoice.Subgroups && subgroups ? "attention_sg_d32" : "attention_f32_64", keys);
            Assert.Contains(layerNorm == KernelChoice.Subgroups && subgroups ? "layernorm_sg_f32_8" : "layernorm_f32_256", keys);
            Assert.Equal(3, keys.Count);  // nothing else was compiled
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [SkippableFact]
    public void Without_a_tuned_choice_the_subgroup_forms_run_where_the_device_has_them()
    {
        _ = TestEnvironment.Device;
        using var device = WebGpuDevice.Open();
        using var weights = Gpt2Weights.Load(RepositoryPaths.Fixture("gpt2-mini"));
        using var backend = new WebGpuBackend(weights, device, new WebGpuBackendOptions { TunedKernelsDirectory = null });
        Assert.Null(device.Kernels.Choice);
        Assert.Contains(device.HasSubgroupsOf8 ? "matmul_rows16x64_sg_f32" : "matmul_rows16x64_f32", device.Kernels.Keys);
    }
}
