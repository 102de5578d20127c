using System.Runtime.InteropServices;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// Gives a new client's cache the shards another already holds, as hard links: 39 clients holding a 500 MB model cost the disk
/// and the page cache one copy. The client id and lock files are not shared: each cache stays its own client.
/// </summary>
internal static partial class ShardSeed
{
    public static void LinkInto(string seedCache, string cache)
    {
        Directory.CreateDirectory(cache);
        foreach (var shard in Directory.EnumerateFiles(seedCache, "*.safetensors"))
        {
            var target = Path.Combine(cache, Path.GetFileName(shard));
            if (!File.Exists(target) && link(shard, target) != 0) File.Copy(shard, target);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string existing, string created);
}
