namespace SplitCompute.Model.Forward;

/// <summary>How the final hidden states of one sequence become one embedding.</summary>
public enum Pooling
{
    /// <summary>Mean over positions whose mask is 1 (the default, as sentence-embedding models do).</summary>
    Mean,

    /// <summary>The last position whose mask is 1.</summary>
    Last,

    /// <summary>Position 0, the [CLS] token of BERT-family encoders (BGE).</summary>
    Cls,

    /// <summary>Per-channel maximum over positions whose mask is 1.</summary>
    Max,
}

public static class PoolingNames
{
    public static Pooling Parse(string value) => value.ToLowerInvariant() switch
    {
        "mean" => Pooling.Mean,
        "last" => Pooling.Last,
        "cls" => Pooling.Cls,
        "max" => Pooling.Max,
        _ => throw new ArgumentException($"unknown pooling '{value}': expected 'mean', 'last', 'cls' or 'max'", nameof(value)),
    };
}
