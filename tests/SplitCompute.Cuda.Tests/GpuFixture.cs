using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Tests;

/// <summary>
/// Opens the GPU once for the GPU tests, or records why it cannot (CI has no GPU), so each test can skip saying why.
/// Also locates tests/fixtures in the repository.
/// </summary>
public sealed class GpuFixture : IDisposable
{
    public GpuFixture()
    {
        try
        {
            Context = CudaContext.Create();
        }
        catch (CudaUnavailableException e)
        {
            Unavailable = e.Message;
        }
    }

    public CudaContext? Context { get; }

    /// <summary>Why there is no GPU here (null when there is one).</summary>
    public string? Unavailable { get; }

    public static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SplitCompute.sln"))) return Path.GetFullPath(Path.Combine(dir.FullName, "tests", "fixtures", name));
        }
        throw new InvalidOperationException($"SplitCompute.sln not found above {AppContext.BaseDirectory}");
    }

    public void Dispose() => Context?.Dispose();
}
