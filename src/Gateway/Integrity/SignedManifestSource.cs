using SplitCompute.Protocol.Cluster;
using System.Collections.Concurrent;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.Protocol.Manifests;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Integrity;

/// <summary>
/// Signed full manifests of model revisions: read from Redis where workers publish them (<see cref="WorkerHeartbeat.ManifestKey"/>),
/// validated, checked to cover every layer of the revision they are filed under, signed, and kept (a revision's manifest never
/// changes, so each is signed once per gateway process).
/// </summary>
public sealed class SignedManifestSource(RedisConnector redis, ManifestSigningKey signingKey, ClusterSecret cluster)
{
    private const int MaxCached = 256;
    private readonly ConcurrentDictionary<string, byte[]> _signed = new(StringComparer.Ordinal);

    /// <summary>The signed manifest as JSON; null when Redis holds none for this model and revision.</summary>
    /// <exception cref="ProtocolException">The stored manifest is invalid or filed under another model or revision.</exception>
    public async Task<byte[]?> GetAsync(string model, string revision, CancellationToken cancellationToken)
    {
        var cacheKey = $"{model}@{revision}";
        if (_signed.TryGetValue(cacheKey, out var cached)) return cached;
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var key = WorkerHeartbeat.ManifestKey(model, revision);
        var stored = (string?)await database.StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null) return null;
        // Only what one of our workers published is vouched for: a manifest written by anything else is never signed.
        if (!cluster.TryOpen(key, stored, out var json))
            throw new ProtocolException($"the manifest stored for {model}@{revision} is not sealed with this cluster's secret; it is not signed");
        var manifest = ShardManifest.FromJson(json);
        manifest.Validate();
        if (manifest.Model != model || manifest.Revision != revision || manifest.FirstLayer != 0 || manifest.Shards.Count != manifest.NLayer)
            throw new ProtocolException($"the manifest stored for {model}@{revision} is for {manifest.Model}@{manifest.Revision} layers [{manifest.FirstLayer}, {manifest.EndLayer}) of {manifest.NLayer}; it is not signed");
        var signed = SignedManifest.Sign(manifest, signingKey.Key).ToJsonUtf8();
        if (_signed.Count >= MaxCached) _signed.Clear();
        return _signed.GetOrAdd(cacheKey, signed);
    }
}
