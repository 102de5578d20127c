namespace SplitCompute.Protocol.Manifests;

/// <summary>Values of <see cref="ShardEntry.Kind"/>.</summary>
public static class ShardKinds
{
    public const string Layer = "layer";
    public const string FinalNorm = "final_norm";
}
