namespace SplitCompute.Protocol.Manifests;

/// <summary>Element types a shard may store; the names match the frame's dtype spelling.</summary>
public static class ShardDTypes
{
    public const string F32 = "f32";
    public const string F16 = "f16";
    public const string BF16 = "bf16";

    public static bool IsKnown(string? dtype) => dtype is F32 or F16 or BF16;
}
