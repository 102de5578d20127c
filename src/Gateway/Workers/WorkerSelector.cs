using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// Picks the worker with the least predicted wait among those serving the model, skipping any already tried for this request.
/// The gateway's own in-flight count per worker is added to the heartbeat's backlog, so a burst between two heartbeats spreads out.
/// </summary>
public sealed class WorkerSelector
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    public WorkerHeartbeat? Select(WorkerSnapshot snapshot, string model, IReadOnlyCollection<string> exclude)
    {
        WorkerHeartbeat? best = null;
        var bestWait = double.MaxValue;
        foreach (var worker in snapshot.Workers)
        {
            if (worker.Model != model || exclude.Contains(worker.WorkerId)) continue;
            var local = _inFlight.GetValueOrDefault(worker.WorkerId);
            var wait = worker.BacklogMs + (local * Math.Max(worker.MsPerLayerToken * worker.NLayer * 64, 0.1) / worker.Capacity);
            if (wait < bestWait)
            {
                best = worker;
                bestWait = wait;
            }
        }
        return best;
    }

    public void Started(string workerId) => _inFlight.AddOrUpdate(workerId, 1, (_, n) => n + 1);

    public void Finished(string workerId) => _inFlight.AddOrUpdate(workerId, 0, (_, n) => Math.Max(0, n - 1));
}
