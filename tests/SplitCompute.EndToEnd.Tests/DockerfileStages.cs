using System.Text.RegularExpressions;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// deploy/Dockerfile read simply: its stages (FROM ... AS name), each stage's instructions with line continuations joined, and
/// what a target inherits from the stages it is built FROM.
/// </summary>
internal sealed partial class DockerfileStages
{
    private readonly Dictionary<string, (string? Base, List<string> Instructions)> _stages = new(StringComparer.OrdinalIgnoreCase);

    public DockerfileStages(string path)
    {
        var joined = ContinuedLine().Replace(File.ReadAllText(path), " ");
        List<string>? current = null;
        foreach (var raw in joined.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (From().Match(line) is { Success: true } from)
            {
                _stages[from.Groups["name"].Value] = (from.Groups["base"].Value, current = []);
                continue;
            }
            current?.Add(line);
        }
    }

    /// <summary>The target's instructions and those of the stages it derives from, base first.</summary>
    public IReadOnlyList<string> Instructions(string target)
    {
        Assert.True(_stages.ContainsKey(target), $"deploy/Dockerfile has no stage '{target}'");
        var chain = new List<string>();
        for (var stage = target; stage is not null && _stages.TryGetValue(stage, out var s); stage = s.Base) chain.InsertRange(0, s.Instructions);
        return chain;
    }

    /// <summary>The user the target runs as (its last USER, inherited from base stages), "root" when none.</summary>
    public string User(string target) =>
        Instructions(target).LastOrDefault(i => i.StartsWith("USER ", StringComparison.OrdinalIgnoreCase))?[5..].Trim() ?? "root";

    public static bool IsRoot(string user) => user.Split(':')[0] is "root" or "0";

    /// <summary>Whether a RUN of the target creates <paramref name="path"/> (mkdir) and chowns it to <paramref name="user"/>.</summary>
    public bool CreatesOwned(string target, string path, string user)
    {
        var runs = Instructions(target).Where(i => i.StartsWith("RUN ", StringComparison.OrdinalIgnoreCase)).ToList();
        var made = runs.SelectMany(r => Mkdir().Matches(r)).Any(m => Paths(m).Contains(path));
        var owned = runs.SelectMany(r => Chown().Matches(r)).Any(m => m.Groups["owner"].Value.Split(':')[0] == user.Split(':')[0] && Paths(m).Contains(path));
        return made && owned;
    }

    private static string[] Paths(Match m) => m.Groups["paths"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.TrimEnd('/')).ToArray();

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex ContinuedLine();

    [GeneratedRegex(@"^FROM\s+(?:--\S+\s+)*(?<base>\S+)\s+AS\s+(?<name>\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex From();

    [GeneratedRegex(@"\bmkdir\s+(?:-\S+\s+)*(?<paths>[^&;|]+)")]
    private static partial Regex Mkdir();

    [GeneratedRegex(@"\bchown\s+(?:-\S+\s+)*(?<owner>[\w.:-]+)\s+(?<paths>[^&;|]+)")]
    private static partial Regex Chown();
}
