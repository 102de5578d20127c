namespace SplitCompute.Model.Cpu;

/// <summary>
/// Work over rows [start, end) that <see cref="CpuWorkerPool"/> spreads across cores. Jobs are preallocated objects whose
/// fields are set before each dispatch, so running a layer allocates nothing.
/// </summary>
internal abstract class RowJob
{
    public abstract void Execute(int start, int end);
}
