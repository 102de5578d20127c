namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// Float weights read from a <see cref="Checkpoint"/>. An aligned F32 tensor is a view into the file mapping; an F16, BF16
/// (or misaligned F32) tensor is converted to float32 the first time <see cref="Pointer"/> or <see cref="Span"/> is read,
/// into a copy the checkpoint owns, while its stored bytes stay readable as they are (<see cref="StoredPointer"/>) for a
/// consumer that wants the file's own precision. Valid only while that checkpoint is alive: every accessor throws
/// <see cref="ObjectDisposedException"/> afterwards instead of handing out a dangling pointer.
/// </summary>
public sealed unsafe class WeightTensor
{
    private readonly Checkpoint _owner;
    private readonly byte* _stored;
    private readonly long[] _shape;
    private nint _floats;  // float*: the mapping (aligned F32) or the checkpoint's converted copy; 0 until converted

    internal WeightTensor(Checkpoint owner, string name, long[] shape, TensorDType storedDType, byte* stored, float* floats, int length)
    {
        _owner = owner;
        Name = name;
        _shape = (long[])shape.Clone();
        StoredDType = storedDType;
        _stored = stored;
        _floats = (nint)floats;
        Length = length;
    }

    /// <summary>Canonical tensor name (without a leading "transformer.").</summary>
    public string Name { get; }

    /// <summary>A copy of the shape, so callers cannot alter the cached tensor.</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>Element count.</summary>
    public int Length { get; }

    /// <summary>The element type in the file: F32, F16 or BF16.</summary>
    public TensorDType StoredDType { get; }

    /// <summary>Start of the <see cref="StoredByteLength"/> little-endian bytes in the (read-only) file mapping, as stored.</summary>
    public byte* StoredPointer
    {
        get
        {
            _owner.ThrowIfDisposed();
            return _stored;
        }
    }

    public long StoredByteLength => (long)Length * StoredDType.SizeOf();

    /// <summary>
    /// Start of the <see cref="Length"/> row-major floats. Read-only: F32 data points into a read-only file mapping,
    /// so writing through it faults; copy first if you need to modify weights.
    /// </summary>
    public float* Pointer
    {
        get
        {
            _owner.ThrowIfDisposed();
            var floats = (float*)Volatile.Read(ref _floats);
            return floats != null ? floats : _owner.Widen(this);
        }
    }

    public ReadOnlySpan<float> Span => new(Pointer, Length);

    /// <summary>The float32 copy once <see cref="Checkpoint.Widen"/> made it (set under the checkpoint's lock), else null.</summary>
    internal float* Converted
    {
        get => (float*)Volatile.Read(ref _floats);
        set => Volatile.Write(ref _floats, (nint)value);
    }
}
