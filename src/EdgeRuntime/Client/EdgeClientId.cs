using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// This installation's random client id (X-SplitCompute-Client), kept in the shard cache directory as "client-id" so that it
/// survives restarts and is shared by the processes sharing that cache (they run on the same device, which is what the
/// gateway's measured profile describes). Created atomically: concurrent first runs agree on one id.
/// </summary>
internal static class EdgeClientId
{
    public const string FileName = "client-id";

    public static string LoadOrCreate(string cacheDirectory)
    {
        Directory.CreateDirectory(cacheDirectory);
        var path = Path.Combine(cacheDirectory, FileName);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (TryRead(path) is { } existing) return existing;
            var temporary = Path.Combine(cacheDirectory, $".{FileName}-{Guid.NewGuid():N}");
            File.WriteAllText(temporary, ClientId.New() + "\n");
            try
            {
                // Without overwrite the first process to get here wins and everyone else reads its id; a file that is there
                // but holds no valid id (checked above) is replaced.
                File.Move(temporary, path, overwrite: File.Exists(path) && TryRead(path) is null);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
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
