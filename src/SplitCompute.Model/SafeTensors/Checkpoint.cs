using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// The weights of a Hugging Face model directory: a single model.safetensors, or model.safetensors.index.json plus shards.
/// Tensor names are canonical: a leading "transformer." is removed, because HF's GPT2LMHeadModel saves with it and the
/// official gpt2 checkpoints without; lookups accept either spelling. Float32 views stay valid until <see cref="Dispose"/>.
/// Thread-safe for concurrent reads.
/// </summary>
public sealed unsafe class Checkpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";
    private const string Prefix = "transformer.";

    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, (SafeTensorsFile File, TensorInfo Info)> _entries;
    private readonly List<string> _names;
    private readonly string _sourceDescription;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WeightTensor> _floats = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _int64Copies = new(StringComparer.Ordinal);
    private readonly List<nint> _nativeBuffers = [];
    private bool _disposed;

    private Checkpoint(string directory, string sourceDescription, List<SafeTensorsFile> files,
        Dictionary<string, (SafeTensorsFile, TensorInfo)> entries, List<string> names)
    {
        Directory = directory;
        _sourceDescription = sourceDescription;
        _files = files;
        _entries = entries;
        _names = names;
    }

    public string Directory { get; }

    /// <summary>Canonical names, in file (header) order.</summary>
    public IEnumerable<string> TensorNames
    {
        get
        {
            ThrowIfDisposed();
            return _names.AsReadOnly();
        }
    }

    /// <summary>The safetensors files backing this checkpoint (one, or the shards in index order).</summary>
    public IReadOnlyList<string> FilePaths => _files.Select(f => f.FilePath).ToArray();

    /// <summary>Opens a model directory: model.safetensors if present (as Hugging Face prefers), else the sharded index.</summary>
    public static Checkpoint Open(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        ThrowIfBigEndian();
        var dir = Path.GetFullPath(modelDirectory);
        if (!System.IO.Directory.Exists(dir))
        {
            throw new ModelFormatException($"{dir}: model directory does not exist");
        }
        var single = Path.Combine(dir, SingleFileName);
        if (File.Exists(single)) return FromSingleFile(dir, single);
        var index = Path.Combine(dir, IndexFileName);
        if (File.Exists(index)) return FromIndex(dir, index);
        throw new ModelFormatException($"{dir}: no model weights found; looked for {SingleFileName} and {IndexFileName}");
    }

    /// <summary>Opens one .safetensors file directly (e.g. a reference-output file that is not a model directory).</summary>
    public static Checkpoint OpenFile(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        ThrowIfBigEndian();
        var path = Path.GetFullPath(safetensorsPath);
        return FromSingleFile(Path.GetDirectoryName(path)!, path);
    }

    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfDisposed();
        return _entries.ContainsKey(Canonical(name));
    }

    /// <summary>The tensor's header entry as stored in its file (its <see cref="TensorInfo.Name"/> keeps the file's spelling).</summary>
    public TensorInfo GetInfo(string name) => Find(name).Info;

    /// <summary>The file that holds <paramref name="name"/>.</summary>
    public string GetFilePath(string name) => Find(name).File.FilePath;

    /// <summary>
    /// Float32 data of <paramref name="name"/>, whose shape must equal <paramref name="expectedShape"/> exactly
    /// (an empty shape means a scalar). F32 is a zero-copy view; F16/BF16 are converted once and cached.
    /// </summary>
    public WeightTensor ReadFloat32(string name, params long[] expectedShape)
    {
        ArgumentNullException.ThrowIfNull(expectedShape);
        return ReadFloat32Core(name, expectedShape);
    }

    /// <summary>Float32 data of <paramref name="name"/> whatever its shape (for reference files; weights should state a shape).</summary>
    public WeightTensor ReadFloat32(string name) => ReadFloat32Core(name, null);

    /// <summary>An I64 (or I32, widened) tensor as longs; a view into the mapping when possible, otherwise a cached copy.</summary>
    public ReadOnlySpan<long> ReadInt64(string name)
    {
        var (file, info) = Find(name);
        var count = CheckedLength(file, info);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_int64Copies.TryGetValue(info.Name, out var copy)) return copy;
            var p = file.GetPointer(info);
            switch (info.DType)
            {
                case TensorDType.I64 when ((nuint)p & 7) == 0:
                    return new ReadOnlySpan<long>(p, count);
                case TensorDType.I64:
                    copy = new long[count];
                    new ReadOnlySpan<byte>(p, checked(count * 8)).CopyTo(MemoryMarshal.AsBytes(copy.AsSpan()));
                    break;
                case TensorDType.I32:
                    copy = new long[count];
                    for (var i = 0; i < count; i++) copy[i] = ((int*)p)[i];
                    break;
                default:
                    throw new ModelFormatException(
                        $"{file.FilePath}: tensor '{info.Name}' is {info.DType.ToSafeTensorsName()}; expected an integer tensor (I64 or I32)");
            }
            _int64Copies.Add(info.Name, copy);
            return copy;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var buffer in _nativeBuffers) NativeMemory.AlignedFree((void*)buffer);
            _nativeBuffers.Clear();
            _floats.Clear();
            _int64Copies.Clear();
            foreach (var file in _files) file.Dispose();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);

    internal static string Canonical(string name) => name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name;

    private WeightTensor ReadFloat32Core(string name, long[]? expectedShape)
    {
        var (file, info) = Find(name);
        if (expectedShape is not null && !expectedShape.AsSpan().SequenceEqual(info.Shape))
        {
            throw new ModelFormatException(
                $"{file.FilePath}: tensor '{info.Name}' has shape {info.ShapeText} but {TensorInfo.FormatShape(expectedShape)} was expected");
        }
        var count = CheckedLength(file, info);
        lock (_gate)
        {
            ThrowIfDisposed();
            var canonical = Canonical(info.Name);
            if (_floats.TryGetValue(canonical, out var cached)) return cached;
            var source = file.GetPointer(info);
            float* data;
            switch (info.DType)
            {
                case TensorDType.F32 when ((nuint)source & 3) == 0:
                    data = (float*)source;
                    break;
                case TensorDType.F32 or TensorDType.F16 or TensorDType.BF16:
                    // Converted (or, for a misaligned F32 in a hand-made file, copied) on first use of the floats: a GPU
                    // backend that uploads the stored bytes as they are never pays for a float copy it would not read.
                    data = null;
                    break;
                default:
                    throw new ModelFormatException(
                        $"{file.FilePath}: tensor '{info.Name}' is {info.DType.ToSafeTensorsName()}; expected a float tensor (F32, F16 or BF16)");
            }
            var tensor = new WeightTensor(this, canonical, info.Shape, info.DType, source, data, count);
            _floats.Add(canonical, tensor);
            return tensor;
        }
    }

    /// <summary>The float32 copy of a tensor stored as F16, BF16 or misaligned F32, made once under the lock and owned by this checkpoint.</summary>
    internal float* Widen(WeightTensor tensor)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (tensor.Converted is var done && done != null) return done;
            var count = tensor.Length;
            var source = tensor.StoredPointer;
            var data = Allocate(count);
            switch (tensor.StoredDType)
            {
                case TensorDType.F32:
                    Buffer.MemoryCopy(source, data, (long)count * 4, (long)count * 4);
                    break;
                case TensorDType.F16:
                    TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, count), new Span<float>(data, count));
                    break;
                default:
                    Bf16ToSingle(new ReadOnlySpan<ushort>(source, count), new Span<uint>(data, count));
                    break;
            }
            tensor.Converted = data;
            return data;
        }
    }

    /// <summary>bfloat16 is the top half of a float32, so widening and shifting left by 16 is exact.</summary>
    internal static void Bf16ToSingle(ReadOnlySpan<ushort> source, Span<uint> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<ushort>.Count <= source.Length; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(source[i..]), out var low, out var high);
                (low << 16).CopyTo(destination[i..]);
                (high << 16).CopyTo(destination[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = (uint)source[i] << 16;
    }

    private float* Allocate(int count)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1L, (long)count * sizeof(float)), 64);
        _nativeBuffers.Add((nint)p);
        return p;
    }

    private static int CheckedLength(SafeTensorsFile file, TensorInfo info)
    {
        if (info.ElementCount > int.MaxValue)
        {
            throw new ModelFormatException($"{file.FilePath}: tensor '{info.Name}' has {info.ElementCount} elements; at most {int.MaxValue} are supported");
        }
        return (int)info.ElementCount;
    }

    private (SafeTensorsFile File, TensorInfo Info) Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfDisposed();
        if (_entries.TryGetValue(Canonical(name), out var entry)) return entry;
        throw new ModelFormatException($"{_sourceDescription}: tensor '{name}' not found (also tried with and without the '{Prefix}' prefix)");
    }

    /// <summary>
    /// Opens several .safetensors files as one checkpoint (e.g. the per-layer shards an edge device holds); a tensor name may
    /// appear in only one of them. <paramref name="label"/> names the set in error messages.
    /// </summary>
    public static Checkpoint OpenFiles(string label, IEnumerable<string> safetensorsPaths)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentNullException.ThrowIfNull(safetensorsPaths);
        ThrowIfBigEndian();
        var files = new List<SafeTensorsFile>();
        try
        {
            var entries = new Dictionary<string, (SafeTensorsFile, TensorInfo)>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (var path in safetensorsPaths.Select(Path.GetFullPath))
            {
                var file = SafeTensorsFile.Open(path);
                files.Add(file);
                foreach (var info in file.Tensors.Values.OrderBy(t => t.DataOffset)) AddEntry(path, entries, names, file, info);
            }
            if (files.Count == 0) throw new ModelFormatException($"{label}: no safetensors files given");
            var description = $"{label} ({string.Join(", ", files.Select(f => Path.GetFileName(f.FilePath)))})";
            return new Checkpoint(label, description, files, entries, names);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static void ThrowIfBigEndian()
    {
        // safetensors data is little-endian and is exposed without byte swapping.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors loading requires a little-endian machine");
    }

    private static Checkpoint FromSingleFile(string dir, string path)
    {
        var file = SafeTensorsFile.Open(path);
        try
        {
            var entries = new Dictionary<string, (SafeTensorsFile, TensorInfo)>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (var info in file.Tensors.Values.OrderBy(t => t.DataOffset))
            {
                AddEntry(path, entries, names, file, info);
            }
            return new Checkpoint(dir, path, [file], entries, names);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Checkpoint FromIndex(string dir, string indexPath)
    {
        var weightMap = ReadWeightMap(dir, indexPath);
        var files = new List<SafeTensorsFile>();
        try
        {
            var byShard = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var shardPath in weightMap.Select(kv => kv.Value).Distinct(StringComparer.Ordinal))
            {
                if (!File.Exists(shardPath))
                {
                    throw new ModelFormatException($"{indexPath}: shard file {shardPath} named in weight_map does not exist");
                }
                var shard = SafeTensorsFile.Open(shardPath);
                files.Add(shard);
                byShard.Add(shardPath, shard);
            }
            var entries = new Dictionary<string, (SafeTensorsFile, TensorInfo)>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (var (tensorName, shardPath) in weightMap)
            {
                var shard = byShard[shardPath];
                if (!shard.Tensors.TryGetValue(tensorName, out var info))
                {
                    throw new ModelFormatException($"{indexPath}: tensor '{tensorName}' is mapped to {shardPath}, which does not contain it");
                }
                AddEntry(indexPath, entries, names, shard, info);
            }
            var description = $"{indexPath} (shards: {string.Join(", ", files.Select(f => Path.GetFileName(f.FilePath)))})";
            return new Checkpoint(dir, description, files, entries, names);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static void AddEntry(string source, Dictionary<string, (SafeTensorsFile, TensorInfo)> entries, List<string> names,
        SafeTensorsFile file, TensorInfo info)
    {
        var canonical = Canonical(info.Name);
        if (entries.TryGetValue(canonical, out var existing))
        {
            throw new ModelFormatException(
                $"{source}: tensors '{existing.Item2.Name}' and '{info.Name}' both map to the name '{canonical}'");
        }
        entries.Add(canonical, (file, info));
        names.Add(canonical);
    }

    /// <summary>Tensor name to absolute shard path, in index order; shard paths may not leave the model directory.</summary>
    private static List<KeyValuePair<string, string>> ReadWeightMap(string dir, string indexPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{indexPath}: not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{indexPath}: cannot read: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{indexPath}: missing 'weight_map' object");
            }
            var dirPrefix = Path.TrimEndingDirectorySeparator(dir) + Path.DirectorySeparatorChar;
            var result = new List<KeyValuePair<string, string>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in map.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.Value.GetString()))
                {
                    throw new ModelFormatException($"{indexPath}: weight_map entry '{item.Name}' must be a file name");
                }
                if (!seen.Add(item.Name))
                {
                    throw new ModelFormatException($"{indexPath}: weight_map names tensor '{item.Name}' twice");
                }
                var relative = item.Value.GetString()!;
                var full = Path.GetFullPath(Path.Combine(dir, relative));
                if (Path.IsPathRooted(relative) || !full.StartsWith(dirPrefix, StringComparison.Ordinal))
                {
                    throw new ModelFormatException(
                        $"{indexPath}: weight_map entry '{item.Name}' points to '{relative}', outside the model directory {dir}");
                }
                result.Add(new(item.Name, full));
            }
            if (result.Count == 0) throw new ModelFormatException($"{indexPath}: 'weight_map' is empty");
            return result;
        }
    }
}
