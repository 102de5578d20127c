namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// Adds up the progress of one request's parallel downloads and reports it. Reports come from several threads at once; each
/// carries totals read at one moment, so a listener that keeps the largest BytesDone it has seen shows a monotonic bar.
/// </summary>
internal sealed class DownloadProgressCounter(IProgress<ShardDownloadProgress>? listener)
{
    private long _bytesDone;
    private long _bytesTotal;
    private int _shardsDone;
    private int _shardsTotal;

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    /// <summary>A shard will be downloaded: its size joins the total (a shard found corrupt during the request joins late).</summary>
    public void Expect(long bytes)
    {
        Interlocked.Add(ref _bytesTotal, bytes);
        Interlocked.Increment(ref _shardsTotal);
        Report();
    }

    /// <summary>A download attempt was refused and starts over: its bytes so far no longer count.</summary>
    public void Rewind(long bytes)
    {
        Interlocked.Add(ref _bytesDone, -bytes);
        Report();
    }

    public void Advance(long bytes)
    {
        Interlocked.Add(ref _bytesDone, bytes);
        Report();
    }

    public void Finished()
    {
        Interlocked.Increment(ref _shardsDone);
        Report();
    }

    private void Report() =>
        listener?.Report(new ShardDownloadProgress(Interlocked.Read(ref _bytesDone), Interlocked.Read(ref _bytesTotal), Volatile.Read(ref _shardsDone), Volatile.Read(ref _shardsTotal)));
}
