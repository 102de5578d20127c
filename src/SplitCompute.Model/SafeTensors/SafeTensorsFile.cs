using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// One .safetensors file, mapped read-only. Tensor data is never copied: <see cref="GetBytes"/> and
/// <see cref="GetPointer"/> point into the mapping, which stays valid until <see cref="Dispose"/>.
/// The header is fully validated at open so later reads cannot run outside the mapping.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>The safetensors reference implementation's limit; anything larger is corruption, not a model.</summary>
    internal const long MaxHeaderBytes = 100_000_000;
    private const string MetadataKey = "__metadata__";

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _fileLength;
    private readonly long _dataStart;
    private byte* _base;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long fileLength, long dataStart,
        Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _fileLength = fileLength;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    public string FilePath { get; }

    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The optional "__metadata__" string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates <paramref name="path"/>; every problem is a <see cref="ModelFormatException"/> naming the file.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{fullPath}: cannot open safetensors file: {e.Message}", e);
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var fileLength = stream.Length;
            var (dataStart, tensors, metadata) = ReadHeader(fullPath, stream, fileLength);
            // The mapping takes ownership of the stream (leaveOpen: false).
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            return new SafeTensorsFile(fullPath, map, view, fileLength, dataStart, tensors, metadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw new ModelFormatException($"{fullPath}: cannot map safetensors file: {e.Message}", e);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Zero-copy view of the tensor's raw little-endian bytes.</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo tensor)
    {
        var p = GetPointer(tensor);
        if (tensor.ByteLength > int.MaxValue)
        {
            throw new ModelFormatException($"{FilePath}: tensor '{tensor.Name}' is {tensor.ByteLength} bytes; spans over 2 GiB are not supported");
        }
        return new ReadOnlySpan<byte>(p, (int)tensor.ByteLength);
    }

    internal byte* GetPointer(TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_base == null, this);
        // A TensorInfo from elsewhere must not let a caller read outside this mapping.
        if (!Tensors.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
        {
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {FilePath}", nameof(tensor));
        }
        return _base + tensor.DataOffset;
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private static (long DataStart, Dictionary<string, TensorInfo> Tensors, Dictionary<string, string> Metadata) ReadHeader(
        string path, FileStream stream, long fileLength)
    {
        if (fileLength < 8)
        {
            throw new ModelFormatException($"{path}: file is {fileLength} bytes, shorter than the 8-byte safetensors header length");
        }
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var rawLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (rawLength > MaxHeaderBytes)
        {
            throw new ModelFormatException($"{path}: header length {rawLength} exceeds the {MaxHeaderBytes}-byte limit (corrupt or not a safetensors file)");
        }
        var headerLength = (long)rawLength;
        if (headerLength > fileLength - 8)
        {
            throw new ModelFormatException($"{path}: header length {headerLength} is larger than the rest of the file ({fileLength - 8} bytes)");
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + headerLength;
        var dataLength = fileLength - dataStart;

        // JsonDocument defers UTF-8 validation of strings until they are read; check once here instead.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw new ModelFormatException($"{path}: header is not valid UTF-8 JSON");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{path}: header must be a JSON object, found {doc.RootElement.ValueKind}");
            }
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seenMetadata = false;
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == MetadataKey)
                {
                    if (seenMetadata) throw new ModelFormatException($"{path}: duplicate '{MetadataKey}' entry in header");
                    seenMetadata = true;
                    ReadMetadata(path, entry.Value, metadata);
                    continue;
                }
                if (tensors.ContainsKey(entry.Name))
                {
                    throw new ModelFormatException($"{path}: tensor '{entry.Name}' appears twice in the header");
                }
                tensors.Add(entry.Name, ReadTensor(path, entry.Name, entry.Value, dataStart, dataLength));
            }
            CheckNoOverlap(path, tensors.Values);
            return (dataStart, tensors, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException($"{path}: '{MetadataKey}' must be an object of strings, found {value.ValueKind}");
        }
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException($"{path}: '{MetadataKey}' entry '{item.Name}' must be a string, found {item.Value.ValueKind}");
            }
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static TensorInfo ReadTensor(string path, string name, JsonElement value, long dataStart, long dataLength)
    {
        string Where() => $"{path}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException($"{Where()}: entry must be an object, found {value.ValueKind}");
        }
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException($"{Where()}: missing or non-string 'dtype'");
        }
        var dtypeName = dtypeElement.GetString()!;
        if (!TensorDTypes.TryParse(dtypeName, out var dtype))
        {
            throw new ModelFormatException($"{Where()}: unknown dtype '{dtypeName}' (supported: F32, F16, BF16, I64, I32, U8)");
        }
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException($"{Where()}: missing or non-array 'shape'");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (!TryGetInteger(dim, out var d))
            {
                throw new ModelFormatException($"{Where()}: shape dimension {i} is not an integer ({dim.GetRawText()})");
            }
            if (d < 0) throw new ModelFormatException($"{Where()}: shape dimension {i} is negative ({d})");
            shape[i++] = d;
        }
        long elements;
        long expectedBytes;
        try
        {
            elements = TensorInfo.CountElements(shape);
            expectedBytes = checked(elements * dtype.SizeOf());
        }
        catch (OverflowException e)
        {
            throw new ModelFormatException($"{Where()}: element count of shape {TensorInfo.FormatShape(shape)} overflows", e);
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !TryGetInteger(offsets[0], out var begin) || !TryGetInteger(offsets[1], out var end))
        {
            throw new ModelFormatException($"{Where()}: 'data_offsets' must be [begin, end] integers");
        }
        if (begin < 0 || begin > end)
        {
            throw new ModelFormatException($"{Where()}: data_offsets [{begin}, {end}] need 0 <= begin <= end");
        }
        if (end - begin != expectedBytes)
        {
            throw new ModelFormatException(
                $"{Where()}: data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtypeName} {TensorInfo.FormatShape(shape)} needs {expectedBytes}");
        }
        if (end > dataLength)
        {
            throw new ModelFormatException(
                $"{Where()}: data_offsets end {end} lies beyond the data region ({dataLength} bytes); the file is truncated or corrupt");
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static bool TryGetInteger(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors)
    {
        TensorInfo? previous = null;
        // Empty tensors occupy no bytes and cannot overlap anything.
        foreach (var t in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset))
        {
            if (previous is not null && t.DataOffset < previous.DataOffset + previous.ByteLength)
            {
                throw new ModelFormatException($"{path}: tensors '{previous.Name}' and '{t.Name}' overlap in the data region");
            }
            previous = t;
        }
    }
}
