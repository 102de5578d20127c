namespace SplitCompute.Protocol.Frames;

/// <summary>
/// How per-token states become one embedding per sequence: how an embeddings frame was pooled, or how the edge
/// must pool after finishing a hidden frame. Wire spelling: "mean", "last", "cls", "max" (the last two for BERT-family encoders).
/// </summary>
public enum FramePooling
{
    /// <summary>Mean over the first lengths[b] positions.</summary>
    Mean,

    /// <summary>Position lengths[b] - 1.</summary>
    Last,

    /// <summary>Position 0, the [CLS] token (BGE).</summary>
    Cls,

    /// <summary>Per-channel maximum over the first lengths[b] positions.</summary>
    Max,
}
