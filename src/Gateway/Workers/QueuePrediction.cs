namespace SplitCompute.Gateway.Workers;

/// <summary>
/// The queue a request sent now would wait, from a worker's heartbeat and this gateway's own requests:
///   others(now) = max(0, backlog at the heartbeat - our requests' work still ahead then - time since the heartbeat)
///   queue(now)  = others(now) + our requests' work still ahead now / the worker's slots
/// The heartbeat's backlog is the worker's own schedule (milliseconds of device work ahead of an arrival, docs/split-planner.md);
/// the work other gateways put there drains at one millisecond per millisecond, and our own is known request by request.
/// </summary>
public static class QueuePrediction
{
    public static double Others(double backlogMs, double ownAtHeartbeatMs, double msSinceHeartbeat) =>
        Math.Max(0, backlogMs - ownAtHeartbeatMs - Math.Max(0, msSinceHeartbeat));
}
