namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// An exclusive lock on a small file of the cache directory (FileShare.None: an advisory lock that other processes and threads
/// respect), deleted when released: the client-id file and the link profile are created and updated under one. Whoever takes
/// the lock on a file since deleted re-reads what it protects first, which the holder before it has finished writing.
/// </summary>
internal static class ExclusiveLockFile
{
    /// <summary>Waits up to <paramref name="wait"/> for the lock, then lets the IOException of the last try through.</summary>
    public static FileStream Acquire(string path, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }
}
