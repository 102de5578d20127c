namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// Float32 weights read from a <see cref="Checkpoint"/>: either a view into the file mapping or a converted copy the
/// checkpoint owns. Valid only while that checkpoint is alive; <see cref="Span"/> and <see cref="Pointer"/> throw
/// <see cref="ObjectDisposedException"/> afterwards instead of handing out a dangling pointer.
/// </summary>
public sealed unsafe class WeightTensor
{
    private readonly Checkpoint _owner;
    private readonly float* _pointer;
    private readonly long[] _shape;

    internal WeightTensor(Checkpoint owner, string name, long[] shape, float* pointer, int length)
    {
        _owner = owner;
        Name = name;
        _shape = (long[])shape.Clone();
        _pointer = pointer;
        Length = length;
    }

    /// <summary>Canonical tensor name (without a leading "transformer.").</summary>
    public string Name { get; }

    /// <summary>A copy of the shape, so callers cannot alter the cached tensor.</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>
    /// Start of the <see cref="Length"/> row-major floats. Read-only: F32 data points into a read-only file mapping,
    /// so writing through it faults; copy first if you need to modify weights.
    /// </summary>
    public float* Pointer
    {
        get
        {
            _owner.ThrowIfDisposed();
            return _pointer;
        }
    }

    /// <summary>Element count.</summary>
    public int Length { get; }

    public ReadOnlySpan<float> Span => new(Pointer, Length);
}
