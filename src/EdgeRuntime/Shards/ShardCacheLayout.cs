using SplitCompute.Model.Shards;

namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// The files of a shard cache directory. Complete, verified shards sit at the top as {sha256}.safetensors (the same layout as
/// the worker's store, so the file name is the content's hash); downloads in progress are .partial/{sha256}.part, and each hash
/// has a lock file .locks/{sha256}.lock. Lock files are never deleted: deleting a lock file while another process waits on it
/// would let a third process lock a new file of the same name, and two processes would both believe they hold the lock.
/// </summary>
internal sealed class ShardCacheLayout
{
    public ShardCacheLayout(string directory)
    {
        Store = new ShardStore(directory);
        PartialDirectory = Path.Combine(Store.Directory, ".partial");
        LockDirectory = Path.Combine(Store.Directory, ".locks");
        System.IO.Directory.CreateDirectory(Store.Directory);
        System.IO.Directory.CreateDirectory(PartialDirectory);
        System.IO.Directory.CreateDirectory(LockDirectory);
    }

    public ShardStore Store { get; }

    public string Directory => Store.Directory;

    public string PartialDirectory { get; }

    public string LockDirectory { get; }

    public string ShardPath(string sha256) => Store.PathFor(sha256);

    public string PartPath(string sha256) => Path.Combine(PartialDirectory, Checked(sha256) + ".part");

    public string LockPath(string sha256) => Path.Combine(LockDirectory, Checked(sha256) + ".lock");

    /// <summary>Complete shards in the cache (whatever their state: they are verified before use).</summary>
    public IEnumerable<FileInfo> Shards() =>
        new DirectoryInfo(Store.Directory).EnumerateFiles("*" + ShardStore.Extension)
            .Where(f => ShardStore.IsValidHash(Path.GetFileNameWithoutExtension(f.Name)));

    /// <summary>Partial downloads, which count against the size bound too.</summary>
    public IEnumerable<FileInfo> Parts() =>
        new DirectoryInfo(PartialDirectory).EnumerateFiles("*.part")
            .Where(f => ShardStore.IsValidHash(Path.GetFileNameWithoutExtension(f.Name)));

    public static string HashOf(FileInfo file) => Path.GetFileNameWithoutExtension(file.Name);

    private static string Checked(string sha256) =>
        ShardStore.IsValidHash(sha256) ? sha256 : throw new ArgumentException($"'{sha256}' is not a SHA-256 hex digest", nameof(sha256));
}
