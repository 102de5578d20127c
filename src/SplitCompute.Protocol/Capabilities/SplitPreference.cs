namespace SplitCompute.Protocol.Capabilities;

/// <summary>X-SplitCompute-Split: "auto", "none", or "k=&lt;int&gt;" (<see cref="K"/> set only for <see cref="SplitMode.Force"/>).</summary>
public sealed record SplitPreference(SplitMode Mode, int? K = null)
{
    public static SplitPreference Auto { get; } = new(SplitMode.Auto);

    public static SplitPreference None { get; } = new(SplitMode.None);

    public static SplitPreference Force(int k) => new(SplitMode.Force, k);
}
