namespace SplitCompute.Cli.Commands;

/// <summary>Where the CLI keeps models, caches and logs: $SPLITCOMPUTE_HOME (the launcher sets it to .splitcompute in the repository), else ~/.splitcompute.</summary>
internal static class Paths
{
    public static string Home { get; } = Environment.GetEnvironmentVariable("SPLITCOMPUTE_HOME") is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".splitcompute");

    public static string EdgeCache => Path.Combine(Home, "edge-cache");
}
