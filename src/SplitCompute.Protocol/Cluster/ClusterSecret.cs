using System.Security.Cryptography;
using System.Text;

namespace SplitCompute.Protocol.Cluster;

/// <summary>
/// The secret a deployment's gateways and workers share (configuration <c>Cluster:Secret</c> or <c>Cluster:SecretFile</c>). Workers
/// seal what they publish in Redis (heartbeats, shard manifests) with an HMAC bound to the Redis key, and the gateway proves
/// itself to workers with a token derived from it: a process that can write to Redis but lacks the secret cannot enrol a worker,
/// redirect requests or have a manifest of its own signed, and a client that reaches a worker directly is refused.
/// Without a secret (a development cluster) nothing is sealed or checked, and the services say so at start.
/// </summary>
public sealed class ClusterSecret
{
    public const string Section = "Cluster";
    public const string Header = "X-SplitCompute-Cluster";
    public const int MinLength = 32;
    private const string SealPrefix = "sealed1.";

    private readonly byte[]? _key;

    public ClusterSecret(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return;
        if (secret.Length < MinLength)
            throw new ArgumentException($"the cluster secret has {secret.Length} characters; at least {MinLength} are required (e.g. `openssl rand -base64 32`)", nameof(secret));
        _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), "splitcompute cluster v1"u8);
        RequestToken = Base64Url(HMACSHA256.HashData(_key, "gateway to worker"u8));
    }

    public static ClusterSecret None { get; } = new(null);

    public bool Enabled => _key is not null;

    /// <summary>What the gateway sends to workers in <see cref="Header"/> (derived: the secret itself never travels).</summary>
    public string RequestToken { get; } = "";

    /// <summary>Reads <c>Cluster:Secret</c>, else the file named by <c>Cluster:SecretFile</c> (a compose secret), else none.</summary>
    public static ClusterSecret From(string? secret, string? secretFile)
    {
        if (!string.IsNullOrEmpty(secret)) return new ClusterSecret(secret.Trim());
        if (string.IsNullOrEmpty(secretFile)) return None;
        try
        {
            return new ClusterSecret(File.ReadAllText(secretFile).Trim());
        }
        catch (IOException ex)
        {
            throw new IOException($"cannot read the cluster secret file {secretFile}: {ex.Message}", ex);
        }
    }

    /// <summary>A key for <paramref name="purpose"/> derived from the secret (the secret itself is used for nothing else); null without one.</summary>
    public byte[]? DeriveKey(string purpose) => _key is null ? null : HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose));

    public bool IsRequestToken(string? presented) =>
        !Enabled || (presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(RequestToken)));

    /// <summary>The value to store under <paramref name="redisKey"/>: "sealed1.{mac}.{payload}", or the payload alone without a secret.</summary>
    public string Seal(string redisKey, string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return _key is null ? payload : $"{SealPrefix}{Mac(redisKey, payload)}.{payload}";
    }

    /// <summary>
    /// The payload of a value read from <paramref name="redisKey"/>; false when a secret is configured and the value is not sealed
    /// with it for that key (forged, moved from another key, or written by a process without the secret).
    /// </summary>
    public bool TryOpen(string redisKey, string? value, out string payload)
    {
        payload = "";
        if (value is null) return false;
        if (!value.StartsWith(SealPrefix, StringComparison.Ordinal))
        {
            payload = value;
            return _key is null;
        }
        var dot = value.IndexOf('.', SealPrefix.Length);
        if (dot < 0) return false;
        var body = value[(dot + 1)..];
        if (_key is null)
        {
            payload = body;  // sealed by a cluster that has a secret; this process cannot check it
            return true;
        }
        var presented = Encoding.ASCII.GetBytes(value[SealPrefix.Length..dot]);
        if (!CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(Mac(redisKey, body)))) return false;
        payload = body;
        return true;
    }

    private string Mac(string redisKey, string payload) =>
        Base64Url(HMACSHA256.HashData(_key!, Encoding.UTF8.GetBytes($"{redisKey}\n{payload}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
