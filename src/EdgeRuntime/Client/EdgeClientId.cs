using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// This installation's random client id (X-SplitCompute-Client), kept in the shard cache directory as "client-id" so that it
/// survives restarts and is shared by the processes sharing that cache (they run on the same device, which is what the
/// gateway's measured profile describes). Concurrent first runs agree on one id: whoever finds no valid id makes one under
/// an exclusive lock file and re-checks there first, and the id file is only ever replaced whole (rename), never written
/// in place, so a reader sees the old file or the new one. The file is its owner's only (0600).
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
            using (var file = new FileStream(temporary, CreateOwnerOnly()))
            using (var writer = new StreamWriter(file))
            {
                writer.Write(ClientId.New() + "\n");
            }
            File.Move(temporary, path, overwrite: true);  // also replaces a damaged file
        }
        return TryRead(path) ?? throw new IOException($"{path}: could not create a valid client id (expected {ClientId.MinLength} to {ClientId.MaxLength} lowercase hex characters)");
    }


    /// <summary>
    /// The id is a bearer of this device's profile (whoever holds it can feed and read its plans, keyless), so it is readable by
    /// its owner only: 0600, as ssh keeps its keys (issue 21). Created so, never widened then narrowed.
    /// </summary>
    private static FileStreamOptions CreateOwnerOnly()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    /// <summary>A file left readable by others (written before 0600 was the rule) is narrowed to its owner.</summary>
    private static void RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            if ((File.GetUnixFileMode(path) & ~ownerOnly) != 0) File.SetUnixFileMode(path, ownerOnly);
        }
        catch (UnauthorizedAccessException)
        {
            // Another user's file in a shared cache: only its owner may narrow it; the id is still read as before.
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            RestrictToOwner(path);
            var text = File.ReadAllText(path).Trim();
            return ClientId.IsValid(text) ? text : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
