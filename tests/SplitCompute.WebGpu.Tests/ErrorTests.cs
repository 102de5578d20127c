using System.Runtime.InteropServices;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// The documented errors (docs/webgpu.md): a missing library, no Vulkan adapter, Dawn's Null backend, and Dawn's own
/// validation messages. Runs alone: one test changes the process environment that the Vulkan loader reads.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed partial class ErrorTests
{
    [Fact]
    public void An_explicit_library_path_that_does_not_exist_is_a_named_error()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", DawnLibrary.FileName);
        var error = Assert.Throws<DawnLibraryNotFoundException>(() => DawnLibrary.Find(missing, Path.GetTempPath()));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains(DawnLibrary.PathVariable, error.Message, StringComparison.Ordinal);
        Assert.Equal([missing], error.Tried);
    }

    [Fact]
    public void Without_a_provisioned_library_the_error_lists_the_lookup_order()
    {
        var emptyHome = Directory.CreateTempSubdirectory("splitcompute-nohome-").FullName;
        try
        {
            var error = Assert.Throws<DawnLibraryNotFoundException>(() => DawnLibrary.Find(null, emptyHome));
            Assert.Equal(Path.Combine(emptyHome, "dawn", DawnLibrary.FileName), error.Tried[0]);
            Assert.Contains("./splitcompute", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(emptyHome, recursive: true);
        }
    }

    [SkippableFact]
    public void The_provisioned_library_is_found_through_SPLITCOMPUTE_HOME()
    {
        _ = TestEnvironment.Device;  // provisioned (or skipped)
        var (path, handle) = DawnLibrary.Find(null, SplitComputeHome.Directory);
        Assert.NotEqual(0, handle);
        Assert.Equal(Path.Combine(SplitComputeHome.Directory, "dawn", DawnLibrary.FileName), path);
    }

    [SkippableFact]
    public void Dawns_Null_backend_is_refused_by_name()
    {
        _ = TestEnvironment.Device;
        var error = Assert.Throws<NoWebGpuAdapterException>(() => WebGpuDevice.Open(WGPUBackendType.Null).Dispose());
        Assert.NotNull(error.Found);
        Assert.Contains("null", error.Found, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("refusing", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void No_Vulkan_driver_gives_NoWebGpuAdapterException_never_zeros()
    {
        _ = TestEnvironment.Device;  // the shared device exists before the environment changes
        // .NET keeps its own copy of the environment; the Vulkan loader reads the native one, so set it through libc
        // (by its soname: "libc.so" is a linker script that only exists where libc6-dev is installed).
        var previous = Environment.GetEnvironmentVariable("VK_ICD_FILENAMES");
        Assert.Equal(0, SetEnv("VK_ICD_FILENAMES", Path.Combine(Path.GetTempPath(), "no-such-icd.json"), 1));
        try
        {
            var error = Assert.Throws<NoWebGpuAdapterException>(() => WebGpuDevice.Open().Dispose());
            Assert.Null(error.Found);
            Assert.Contains("no vulkan adapter", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (previous is null) UnsetEnv("VK_ICD_FILENAMES");
            else SetEnv("VK_ICD_FILENAMES", previous, 1);
        }
    }

    [SkippableFact]
    public void A_shader_error_carries_Dawns_message_and_the_kernel_name()
    {
        using var harness = new KernelHarness();
        var error = Assert.Throws<WebGpuException>(() => harness.Kernels.Get("broken", "layernorm.wgsl", ("sum += x[base + i];", "sum += x[base + i] + undefined_name;")));
        Assert.Contains("compiling kernel broken", error.Message, StringComparison.Ordinal);
        Assert.Contains("unresolved value 'undefined_name'", error.Message, StringComparison.Ordinal);  // Dawn's own words
    }

    [SkippableFact]
    public void A_bad_binding_names_the_buffers_and_the_kernel()
    {
        using var harness = new KernelHarness();
        var kernel = Kernels.LayerNormOp.Kernel(harness.Kernels, 64, subgroups: false);
        var parameters = harness.Uniform("layernorm params");
        var notStorage = harness.Uniform("a uniform buffer");  // the kernel's y binding needs a storage buffer
        var storage = harness.Upload("x", new float[64]);
        var error = Assert.Throws<WebGpuException>(() => Kernels.LayerNormOp.Bind(harness.Device, kernel, "bad", parameters, storage, storage, storage, notStorage));
        Assert.Contains("a uniform buffer", error.Message, StringComparison.Ordinal);
        Assert.Contains("layernorm_f32_256", error.Message, StringComparison.Ordinal);
        Assert.Contains("validation error from Dawn", error.Message, StringComparison.Ordinal);
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnsetEnv(string name);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}
