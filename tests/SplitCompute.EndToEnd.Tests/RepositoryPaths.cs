namespace SplitCompute.EndToEnd.Tests;

/// <summary>Files of this repository the tests check (the compose deployment, the Grafana dashboard).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SplitCompute.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no SplitCompute.sln above {AppContext.BaseDirectory}");
    }
}
