using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// Picks the worker with the least predicted queue (<see cref="OwnRequestLedger"/>: its reported schedule, drained since its
/// heartbeat, plus this gateway's own requests in flight) among those serving the model, skipping any already tried.
/// </summary>
public sealed class WorkerSelector(OwnRequestLedger ledger)
{
    /// <param name="revision">Only workers serving this revision (a request's name@revision); null: any.</param>
    public WorkerHeartbeat? Select(WorkerSnapshot snapshot, string model, IReadOnlyCollection<string> exclude, string? revision = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        WorkerHeartbeat? best = null;
        var bestWait = double.MaxValue;
        foreach (var worker in snapshot.Workers)
        {
            if (worker.Model != model || exclude.Contains(worker.WorkerId) || (revision is not null && worker.Revision != revision)) continue;
            var wait = ledger.PredictQueueMs(worker);
            if (wait < bestWait)
            {
                best = worker;
                bestWait = wait;
            }
        }
        return best;
    }
}
