using System.Text.Json;

namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// Streams a .safetensors file: tensors are declared up front with <see cref="Add"/> and their bytes produced one at a
/// time during <see cref="Write"/>, so only the largest tensor is ever held in memory (models reach gigabytes).
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly Dictionary<string, string> _metadata;
    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public SafeTensorsWriter(IReadOnlyDictionary<string, string>? metadata = null)
    {
        _metadata = metadata is null ? [] : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
    }

    /// <summary>
    /// Declares a tensor. <paramref name="fill"/> runs during <see cref="Write"/>, in Add order, with a zeroed span of exactly
    /// the tensor's byte size, and must write the raw little-endian bytes.
    /// </summary>
    public void Add(string name, TensorDType dtype, long[] shape, Action<Span<byte>> fill)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(fill);
        _ = dtype.SizeOf(); // rejects undefined enum values
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved for the metadata map", nameof(name));
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        long bytes;
        try
        {
            bytes = checked(TensorInfo.CountElements(shape) * dtype.SizeOf());
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            _names.Remove(name);
            throw new ArgumentException($"tensor '{name}': invalid shape {TensorInfo.FormatShape(shape)}: {e.Message}", nameof(shape), e);
        }
        if (bytes > Array.MaxLength)
        {
            _names.Remove(name);
            throw new ArgumentException($"tensor '{name}' is {bytes} bytes; tensors over {Array.MaxLength} bytes cannot be written", nameof(shape));
        }
        _entries.Add(new Entry(name, dtype, (long[])shape.Clone(), (int)bytes, fill));
    }

    /// <summary>
    /// Writes header (JSON padded with spaces so data starts 8-byte aligned) and data to <c>path.tmp</c>, then renames it over
    /// <paramref name="path"/>, so readers never see a half-written model.
    /// </summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var header = BuildHeader();
        var tmp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Span<byte> prefix = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                // One buffer sized for the largest tensor, reused for all of them.
                var buffer = new byte[_entries.Count == 0 ? 0 : _entries.Max(e => e.ByteLength)];
                foreach (var entry in _entries)
                {
                    var span = buffer.AsSpan(0, entry.ByteLength);
                    span.Clear();
                    entry.Fill(span);
                    stream.Write(span);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { /* keep the original error */ }
            throw;
        }
    }

    private byte[] BuildHeader()
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (_metadata.Count > 0)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in _entries)
            {
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", entry.DType.ToSafeTensorsName());
                writer.WriteStartArray("shape");
                foreach (var d in entry.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + entry.ByteLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += entry.ByteLength;
            }
            writer.WriteEndObject();
        }
        var padding = (int)((8 - json.Length % 8) % 8);
        for (var i = 0; i < padding; i++) json.WriteByte((byte)' ');
        return json.ToArray();
    }

    private sealed record Entry(string Name, TensorDType DType, long[] Shape, int ByteLength, Action<Span<byte>> Fill);
}
