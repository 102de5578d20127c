using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// An immutable view of the workers as last read from Redis, swapped atomically by <see cref="WorkerRegistry"/>.
/// <see cref="RedisHealthy"/> false means Redis could not be read (or has just returned and some workers have not republished
/// yet): the workers are the last known ones and only cloud-only answers are planned, since their load figures may be stale.
/// </summary>
public sealed record WorkerSnapshot(IReadOnlyList<WorkerHeartbeat> Workers, IReadOnlyDictionary<string, ModelProfile> Models, bool RedisHealthy, DateTimeOffset ReadAt)
{
    public static WorkerSnapshot Empty { get; } = new([], new Dictionary<string, ModelProfile>(), false, DateTimeOffset.MinValue);

    public IEnumerable<WorkerHeartbeat> Serving(string model) => Workers.Where(w => w.Model == model);

    public static WorkerLoad ToLoad(WorkerHeartbeat w) =>
        new(w.WorkerId, w.Address, w.Device, w.BacklogMs, w.MsPerLayerToken, w.EmbedMsPerToken, w.InFlight, w.QueueDepth, w.Capacity);
}
