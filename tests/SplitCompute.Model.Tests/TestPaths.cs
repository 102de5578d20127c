namespace SplitCompute.Model.Tests;

/// <summary>Locates the repository root and the reference fixtures committed under tests/fixtures.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>tests/fixtures: Hugging Face outputs committed with their provenance (tests/fixtures/README.md).</summary>
    public static string Fixtures { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot, "tests", "fixtures"));

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>A fresh temporary directory, removed by the caller through <see cref="IDisposable"/>.</summary>
    public static TempDirectory NewTempDirectory() => new();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SplitCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"SplitCompute.sln not found above {AppContext.BaseDirectory}");
    }
}

internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("splitcompute-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { /* best effort cleanup */ }
    }
}
