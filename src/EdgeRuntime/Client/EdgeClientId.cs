using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// This installation's random client id (X-SplitCompute-Client), kept in the shard cache directory as "client-id" so that it
/// survives restarts and is shared by the processes sharing that cache (they run on the same device, which is what the
/// gateway's measured profile describes). Concurrent first runs agree on one id: whoever finds no valid id makes one under
/// an exclusive lock file and re-checks there first, and the id file is only ever replaced whole (rename), never written
/// in place, so a reader sees the old file or the new one.
/// </summary>
internal static class EdgeClientId
{
    public const string FileName = "client-id";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    public static string LoadOrCreate(string cacheDirectory)
    {
        Directory.CreateDirectory(cacheDirectory);
        var path = Path.Combine(cacheDirectory, FileName);
        if (TryRead(path) is { } existing) return existing;
        using (Shards.ExclusiveLockFile.Acquire(Path.Combine(cacheDirectory, $".{FileName}.lock"), LockWait))
        {
            if (TryRead(path) is { } made) return made;  // made (or repaired) by whoever held the lock before
            var temporary = Path.Combine(cacheDirectory, $".{FileName}-{Guid.NewGuid():N}");
            File.WriteAllText(temporary, ClientId.New() + "\n");
            File.Move(temporary, path, overwrite: true);  // also replaces a damaged file
        }
        return TryRead(path) ?? throw new IOException($"{path}: could not create a valid client id (expected {ClientId.MinLength} to {ClientId.MaxLength} lowercase hex characters)");
    }


    private static string? TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return ClientId.IsValid(text) ? text : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
