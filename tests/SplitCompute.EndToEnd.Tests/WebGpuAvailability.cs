using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Whether Dawn is here, by the rule of the WebGPU tests (tests/SplitCompute.WebGpu.Tests/TestEnvironment.cs): SPLITCOMPUTE_HOME
/// defaults to the repository's .splitcompute (where ./splitcompute provisions Dawn); a test skips only when Dawn truly is not
/// provisioned and SPLITCOMPUTE_REQUIRE_WEBGPU is not 1 (./splitcompute test sets it, so there a missing Dawn fails instead).
/// A Vulkan adapter that is missing is a failure, never a skip.
/// </summary>
internal static class WebGpuAvailability
{
    public const string RequireVariable = "SPLITCOMPUTE_REQUIRE_WEBGPU";

    private static readonly Lazy<string?> Problem = new(Find);

    /// <summary>Returns when a WebGPU device opens here; skips (or, when required, fails) the test when Dawn is not provisioned.</summary>
    public static void SkipUnlessProvisioned()
    {
        if (Problem.Value is not { } reason) return;
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            throw new InvalidOperationException($"{RequireVariable}=1 but no WebGPU device: {reason}");
        Skip.If(true, $"Dawn is not provisioned here (run ./splitcompute test to provision it): {reason}");
    }

    private static string? Find()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SplitComputeHome.Variable)))
            Environment.SetEnvironmentVariable(SplitComputeHome.Variable, Path.Combine(RepositoryPaths.Root, ".splitcompute"));
        try
        {
            using var device = WebGpuDevice.Open();
            return null;
        }
        catch (DawnLibraryNotFoundException e)
        {
            return e.Message;
        }
    }
}
