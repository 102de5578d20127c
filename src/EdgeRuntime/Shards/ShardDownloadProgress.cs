namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// Progress of one request's shard downloads: bytes of the missing shards received so far (a resumed partial file counts from
/// where it stopped) out of their total, and shards finished out of those missing. Shards already cached do not count.
/// </summary>
public readonly record struct ShardDownloadProgress(long BytesDone, long BytesTotal, int ShardsDone, int ShardsTotal)
{
    public bool IsComplete => ShardsDone == ShardsTotal;
}
