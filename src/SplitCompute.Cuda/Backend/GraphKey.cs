namespace SplitCompute.Cuda.Backend;

/// <summary>One captured graph: blocks [From, To) at one padded shape.</summary>
public readonly record struct GraphKey(ShapeBucket Shape, int From, int To)
{
    public override string ToString() => $"layers [{From}, {To}) at {Shape}";
}
