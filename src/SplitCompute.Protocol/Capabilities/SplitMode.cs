namespace SplitCompute.Protocol.Capabilities;

/// <summary>The client's X-SplitCompute-Split request.</summary>
public enum SplitMode
{
    /// <summary>"auto" (or no header): the gateway chooses k.</summary>
    Auto,

    /// <summary>"none": do not split; the cloud runs all layers and returns finished embeddings (k = n).</summary>
    None,

    /// <summary>"k=&lt;int&gt;": asks for a specific k. For testing only; the gateway decides whether to honour it.</summary>
    Force,
}
