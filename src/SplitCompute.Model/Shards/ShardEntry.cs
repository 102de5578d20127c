namespace SplitCompute.Model.Shards;

/// <summary>
/// One content-addressed weight shard: a safetensors file holding one layer's tensors (or the final norm) in one dtype.
/// The file is stored as <c>{Sha256}.safetensors</c>, so its name is its integrity check.
/// </summary>
public sealed record ShardEntry(
    string Kind,       // "layer" or "final_norm"
    int? Layer,        // the layer index for Kind = "layer"
    string DType,      // "f32" or "f16"
    string Sha256,     // lowercase hex of the whole file
    long Bytes,
    string[] Tensors)  // canonical tensor names inside
{
    public const string LayerKind = "layer";
    public const string FinalNormKind = "final_norm";
}
