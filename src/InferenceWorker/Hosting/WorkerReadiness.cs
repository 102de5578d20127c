namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>
/// Whether the worker may take traffic: set once the loopback warm-up (<see cref="LoopbackWarmUp"/>) is over, whatever its
/// outcome. /health answers 503 and no heartbeat is published before it, so no gateway routes to a cold worker.
/// </summary>
public sealed class WorkerReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompleted;

    public Task WhenReady => _ready.Task;

    public void MarkReady() => _ready.TrySetResult();
}
