using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// Locates the repository and the fixtures, points SPLITCOMPUTE_HOME at the repository's .splitcompute when unset (where
/// ./splitcompute provisions Dawn), and shares one device between tests. Tests skip only when Dawn truly is not provisioned
/// and SPLITCOMPUTE_REQUIRE_WEBGPU is not 1; ./splitcompute test sets it, so in CI a missing Dawn fails instead.
/// </summary>
internal static class TestEnvironment
{
    public const string RequireVariable = "SPLITCOMPUTE_REQUIRE_WEBGPU";

    private static readonly Lazy<(WebGpuDevice? Device, string? Reason)> Shared = new(OpenShared);

    static TestEnvironment()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SplitComputeHome.Variable)))
            Environment.SetEnvironmentVariable(SplitComputeHome.Variable, Path.Combine(RepositoryRoot, ".splitcompute"));
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Fixtures => Path.GetFullPath(Path.Combine(RepositoryRoot, "tests", "fixtures"));

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>The shared device; skips the test (or fails it under the launcher) when Dawn is not provisioned.</summary>
    public static WebGpuDevice Device
    {
        get
        {
            var (device, reason) = Shared.Value;
            if (device is not null) return device;
            var required = Environment.GetEnvironmentVariable(RequireVariable) == "1";
            if (required) throw new InvalidOperationException($"{RequireVariable}=1 but no WebGPU device: {reason}");
            Skip.If(true, $"Dawn is not provisioned here (run ./splitcompute test to provision it): {reason}");
            throw new InvalidOperationException("unreachable");
        }
    }

    private static (WebGpuDevice?, string?) OpenShared()
    {
        try
        {
            return (WebGpuDevice.Open(), null);
        }
        catch (DawnLibraryNotFoundException e)
        {
            return (null, e.Message);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SplitCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"SplitCompute.sln not found above {AppContext.BaseDirectory}");
    }
}
