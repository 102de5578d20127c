namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// One tensor's entry in a safetensors header. <paramref name="DataOffset"/> is absolute in the file
/// (8 + header length + data_offsets[0]) so readers never need to know the header size.
/// </summary>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape, long DataOffset, long ByteLength)
{
    /// <summary>Product of the dimensions (1 for a scalar). Throws <see cref="OverflowException"/> if it does not fit a long.</summary>
    public long ElementCount { get; } = CountElements(Shape);

    internal static long CountElements(long[] shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0) throw new ArgumentOutOfRangeException(nameof(shape), dim, "negative dimension");
            count = checked(count * dim);
        }
        return count;
    }

    internal string ShapeText => FormatShape(Shape);

    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
