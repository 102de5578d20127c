namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// One tail's outcome: the pooled embeddings and what it really did. <see cref="LoadedBytes"/> &gt; 0 when weights were not
/// resident and [k, N) was (re)bound whole; <see cref="LoadMs"/> is the part of the tail spent reading, verifying and
/// binding/uploading them, measured apart from <see cref="ComputeMs"/> (layers, final norm, pooling).
/// </summary>
public sealed record TailRun(float[][] Embeddings, double LoadMs, long LoadedBytes, double ComputeMs)
{
    public bool WeightsLoaded => LoadedBytes > 0;
}
