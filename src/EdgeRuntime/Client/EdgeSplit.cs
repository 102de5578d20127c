namespace SplitCompute.EdgeRuntime.Client;

/// <summary>What the client asks of the planner: let it choose, cloud only, or a given k (tests and demos).</summary>
public sealed record EdgeSplit(Protocol.Capabilities.SplitPreference Preference)
{
    public static EdgeSplit Auto { get; } = new(Protocol.Capabilities.SplitPreference.Auto);
    public static EdgeSplit None { get; } = new(Protocol.Capabilities.SplitPreference.None);
    public static EdgeSplit Force(int k) => new(Protocol.Capabilities.SplitPreference.Force(k));
}
