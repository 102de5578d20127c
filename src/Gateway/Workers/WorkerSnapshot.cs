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

    /// <summary>The planner's view of worker <paramref name="w"/>: the queue the gateway predicts for it, and the model's utilisation.</summary>
    public WorkerLoad ToLoad(WorkerHeartbeat w, double queueMs) =>
        new(w.WorkerId, w.Address, w.Device, queueMs, w.MsPerLayerToken, w.EmbedMsPerToken, w.InFlight, w.QueueDepth, w.Capacity)
        {
            Utilisation = Utilisation(w.Model),
            EmbedsOutsideQueue = w.EmbedsOutsideQueue,
        };

    /// <summary>How busy the devices serving <paramref name="model"/> have been lately: the mean of their heartbeats' busy fraction.</summary>
    public double Utilisation(string model)
    {
        double sum = 0;
        var count = 0;
        foreach (var w in Workers)
        {
            if (w.Model != model) continue;
            sum += double.IsFinite(w.BusyFraction) ? Math.Clamp(w.BusyFraction, 0, 1) : 0;
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }
}
