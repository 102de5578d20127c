using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.Testing;

/// <summary>
/// Whether a WebGPU device opens here, by one rule for every test project: SPLITCOMPUTE_HOME defaults to the repository's
/// .splitcompute (where ./splitcompute provisions Dawn); a WebGPU test skips only when Dawn truly is not provisioned and
/// SPLITCOMPUTE_REQUIRE_WEBGPU is not 1 (./splitcompute test sets it, so there a missing Dawn fails instead). A Vulkan adapter
/// that is missing is a failure, never a skip.
/// </summary>
public static class WebGpuAvailability
{
    public const string RequireVariable = "SPLITCOMPUTE_REQUIRE_WEBGPU";

    private static readonly Lazy<string?> Problem = new(Find);

    /// <summary>Why a WebGPU test skips here (Dawn is not provisioned), or null when a device opens.</summary>
    /// <exception cref="InvalidOperationException">SPLITCOMPUTE_REQUIRE_WEBGPU=1: a missing Dawn fails the test instead.</exception>
    public static string? SkipReason => Problem.Value is { } problem ? SkipReasonFor(problem) : null;

    /// <summary>Why a test skips when Dawn could not be loaded for <paramref name="problem"/> (a test that opens its own device).</summary>
    /// <exception cref="InvalidOperationException">SPLITCOMPUTE_REQUIRE_WEBGPU=1: a missing Dawn fails the test instead.</exception>
    public static string SkipReasonFor(string problem)
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            throw new InvalidOperationException($"{RequireVariable}=1 but no WebGPU device: {problem}");
        return $"Dawn is not provisioned here (run ./splitcompute test to provision it): {problem}";
    }

    /// <summary>Points SPLITCOMPUTE_HOME at the repository's .splitcompute when it is unset, before Dawn is looked for.</summary>
    public static void UseRepositoryHomeByDefault()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SplitComputeHome.Variable)))
            Environment.SetEnvironmentVariable(SplitComputeHome.Variable, Path.Combine(RepositoryPaths.Root, ".splitcompute"));
    }

    private static string? Find()
    {
        UseRepositoryHomeByDefault();
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
