namespace SplitCompute.WebGpu;

/// <summary>$SPLITCOMPUTE_HOME (the launcher sets it to .splitcompute in the repository), else ~/.splitcompute, as the CLI uses it.</summary>
public static class SplitComputeHome
{
    public const string Variable = "SPLITCOMPUTE_HOME";

    public static string Directory => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".splitcompute");
}
