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

    /// <summary>
    /// Workers to ask for shard <paramref name="sha256"/>, best first: those whose published manifest lists it (a worker of
    /// another model or revision would only answer 404), least backlog first; when no known manifest lists it (e.g. an f16 shard
    /// of a manifest published in f32, or manifests not read yet) every worker, least backlog first.
    /// </summary>
    public IReadOnlyList<WorkerHeartbeat> ShardSources(string sha256)
    {
        var holders = Workers.Where(w => Models.TryGetValue(w.Model, out var profile) && profile.Revision == w.Revision && profile.Lists(sha256)).ToList();
        return [.. (holders.Count > 0 ? holders : Workers).OrderBy(w => w.BacklogMs)];
    }

    public static WorkerLoad ToLoad(WorkerHeartbeat w) =>
        new(w.WorkerId, w.Address, w.Device, w.BacklogMs, w.MsPerLayerToken, w.EmbedMsPerToken, w.InFlight, w.QueueDepth, w.Capacity);
}
