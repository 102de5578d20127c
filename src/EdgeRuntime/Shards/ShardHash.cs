using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// SHA-256 of a shard file, read through a read-only memory mapping in 4 MiB blocks. Why not SHA256.HashData(Stream): that
/// reads (and copies) the file in small chunks and reached 0.6-0.9 GB/s where OpenSSL's SHA-256 alone runs at ~1.7 GB/s
/// per core; the mapping hands the page-cache pages to the hash without a copy, and leaves them resident for the upload that
/// reads the same file next. The blocks keep a cancellation responsive on multi-GB files. Mapping adds no risk the tail
/// does not already take: it maps the same files to upload them (a file truncated under a mapping faults on access; the cache
/// never truncates in place, it renames complete files over and deletes).
/// </summary>
public static unsafe class ShardHash
{
    private const int BlockBytes = 4 << 20;

    /// <summary>Lower-case hex SHA-256 of the file at <paramref name="path"/> (which others may read, write or delete meanwhile).</summary>
    public static string OfFile(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.None);
        var length = stream.Length;
        if (length == 0) return Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty));  // an empty file cannot be mapped
        using var map = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            var data = start + view.PointerOffset;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var offset = 0L; offset < length; offset += BlockBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.AppendData(new ReadOnlySpan<byte>(data + offset, (int)Math.Min(BlockBytes, length - offset)));
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }
}
