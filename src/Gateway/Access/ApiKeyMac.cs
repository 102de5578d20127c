using System.Buffers.Text;
using System.Security.Cryptography;
using SplitCompute.Protocol.Cluster;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A short MAC inside every API key, keyed from the deployment's cluster secret: the key's 32 bytes are 26 random bytes and the
/// first 6 bytes of HMAC-SHA256(mac key, those 26). A gateway checks it before any Redis lookup, so keys invented by someone
/// without the secret (a flood of well-formed random keys) are refused in memory and cost Redis nothing; 208 random bits stay
/// far beyond guessing. Same length and alphabet as before, so clients see no change. Without a cluster secret (a development
/// cluster) keys carry no MAC and none is checked; keys made before MACs existed work while Access:RequireKeyMac is false.
/// </summary>
public sealed class ApiKeyMac
{
    public const int MacBytes = 6;
    private const int RandomBytes = ApiKeys.SecretBytes - MacBytes;

    private readonly byte[]? _key;

    public ApiKeyMac(ClusterSecret cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        _key = cluster.DeriveKey("splitcompute api key mac v1");
    }

    public static ApiKeyMac None { get; } = new(ClusterSecret.None);

    public bool Enabled => _key is not null;

    /// <summary>A new key: with a MAC when there is a secret, else 32 random bytes as before.</summary>
    public string Generate()
    {
        if (_key is null) return ApiKeys.Generate();
        Span<byte> secret = stackalloc byte[ApiKeys.SecretBytes];
        RandomNumberGenerator.Fill(secret[..RandomBytes]);
        Mac(secret[..RandomBytes], secret[RandomBytes..]);
        return ApiKeys.Prefix + Base64Url.EncodeToString(secret);
    }

    /// <summary>True when <paramref name="key"/> (well formed: <see cref="ApiKeys.LooksValid"/>) carries this deployment's MAC, or when there is no secret.</summary>
    public bool Verifies(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_key is null) return true;
        Span<byte> secret = stackalloc byte[ApiKeys.SecretBytes + 2];
        // DecodeFromChars reports malformed input (e.g. a last character with stray low bits) where TryDecodeFromChars throws.
        var status = Base64Url.DecodeFromChars(key.AsSpan(ApiKeys.Prefix.Length), secret, out _, out var written);
        if (status != System.Buffers.OperationStatus.Done || written != ApiKeys.SecretBytes) return false;
        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(secret[..RandomBytes], expected);
        return CryptographicOperations.FixedTimeEquals(expected, secret.Slice(RandomBytes, MacBytes));
    }

    private void Mac(ReadOnlySpan<byte> random, Span<byte> into)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, random, full);
        full[..MacBytes].CopyTo(into);
    }
}
