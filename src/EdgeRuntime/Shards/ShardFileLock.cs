namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// A lock on one shard hash shared between threads and processes: .NET takes flock(2) on the lock file when it is opened,
/// LOCK_SH for a read-only open with FileShare.ReadWrite and LOCK_EX for FileShare.None. Readers of a complete shard hold it
/// shared for as long as they use the file (so no other process evicts or rewrites it under them); a downloader holds it
/// exclusively while it writes the partial file and renames it into place. flock is per open file description, so two
/// caches in one process exclude each other exactly like two processes do.
/// </summary>
internal sealed class ShardFileLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);
    private readonly FileStream _stream;

    private ShardFileLock(FileStream stream, bool exclusive)
    {
        _stream = stream;
        Exclusive = exclusive;
    }

    public bool Exclusive { get; }

    /// <summary>Takes the lock now, or returns null when another holder's lock conflicts.</summary>
    public static ShardFileLock? TryAcquire(string path, bool exclusive)
    {
        try
        {
            var stream = exclusive
                ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(path, OpenOrCreateForRead(path), FileAccess.Read, FileShare.ReadWrite);
            return new ShardFileLock(stream, exclusive);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;  // EWOULDBLOCK from flock surfaces as a sharing violation
        }
    }

    /// <summary>Waits (polling: flock has no async wait) until the lock is free, up to <paramref name="timeout"/>.</summary>
    public static async Task<ShardFileLock> AcquireAsync(string path, bool exclusive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryAcquire(path, exclusive) is { } acquired) return acquired;
            if (DateTime.UtcNow > deadline)
                throw new IOException($"shard lock {path}: still held by another process or request after {timeout.TotalSeconds:F0} s ({(exclusive ? "exclusive" : "shared")} wanted)");
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A read-only open cannot create the file, so create it first (racing creators are harmless: it stays empty).</summary>
    private static FileMode OpenOrCreateForRead(string path)
    {
        if (!File.Exists(path))
        {
            try
            {
                using var _ = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Someone holds it exclusively right now; it exists, which is all we needed.
            }
        }
        return FileMode.Open;
    }

    public void Dispose() => _stream.Dispose();
}
