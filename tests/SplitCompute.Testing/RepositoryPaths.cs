namespace SplitCompute.Testing;

/// <summary>The repository the tests run from (found by its SplitCompute.sln) and the fixtures committed under tests/fixtures.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/fixtures: Hugging Face outputs committed with their provenance (tests/fixtures/README.md).</summary>
    public static string Fixtures { get; } = Path.Combine(Root, "tests", "fixtures");

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SplitCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"SplitCompute.sln not found above {AppContext.BaseDirectory}");
    }
}
