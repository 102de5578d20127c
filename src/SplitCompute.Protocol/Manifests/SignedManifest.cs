using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitCompute.Protocol.Manifests;

/// <summary>
/// A model revision's full shard manifest signed by the gateway: ECDSA P-256 over SHA-256 ("ES256") of the exact UTF-8 bytes of
/// <see cref="Payload"/> (the manifest's JSON text, carried as a string so no re-serialisation can change the signed bytes).
/// The signature is IEEE P1363 (r || s, 64 bytes), the form WebCrypto's ECDSA verify takes, base64-encoded.
/// Media type <see cref="MediaTypes.SignedManifest"/>; served at GET /v1/manifests/{model}/{revision}.
/// </summary>
public sealed record SignedManifest
{
    public const string Es256 = "ES256";

    /// <summary>Largest signed manifest a reader accepts (1024 layers of 64 tensor names fit well within it).</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    [JsonPropertyName("alg")] public required string Algorithm { get; init; }

    /// <summary>The first 16 hex characters of SHA-256 of the signing key's SubjectPublicKeyInfo (<see cref="KeyIdOf"/>).</summary>
    [JsonPropertyName("key_id")] public required string KeyId { get; init; }

    [JsonPropertyName("payload")] public required string Payload { get; init; }

    [JsonPropertyName("signature")] public required string Signature { get; init; }

    public static string KeyIdOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>Signs a manifest after validating it (a signature must never vouch for a malformed manifest).</summary>
    public static SignedManifest Sign(ShardManifest manifest, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(key);
        manifest.Validate();
        var payload = manifest.ToJson();
        var signature = key.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new SignedManifest { Algorithm = Es256, KeyId = KeyIdOf(key), Payload = payload, Signature = Convert.ToBase64String(signature) };
    }

    /// <summary>
    /// Checks the signature with the pinned <paramref name="publicKey"/> and returns the validated manifest. Throws
    /// <see cref="ProtocolException"/> saying what failed: another algorithm, another key, a signature that does not verify,
    /// or a payload that is not a valid manifest.
    /// </summary>
    public ShardManifest Verify(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (Algorithm != Es256) throw new ProtocolException($"expected \"{Es256}\", found \"{Truncate(Algorithm)}\"", "alg");
        var expectedKey = KeyIdOf(publicKey);
        if (KeyId != expectedKey) throw new ProtocolException($"signed by key {Truncate(KeyId)}, but the pinned key is {expectedKey}", "key_id");
        var signature = new byte[64];
        if (!Convert.TryFromBase64String(Signature ?? "", signature, out var length) || length != 64)
            throw new ProtocolException("expected base64 of a 64-byte P-256 signature (r || s)", "signature");
        if (!publicKey.VerifyData(Encoding.UTF8.GetBytes(Payload ?? ""), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            throw new ProtocolException("the signature does not verify with the pinned key: the manifest was altered or signed by someone else", "signature");
        var manifest = ShardManifest.FromJson(Payload!);
        manifest.Validate();
        return manifest;
    }

    public byte[] ToJsonUtf8() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Parses the envelope (not the signature); throws <see cref="ProtocolException"/> when it is not one.</summary>
    public static SignedManifest FromJson(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > MaxBytes) throw new ProtocolException($"a signed manifest is at most {MaxBytes} bytes, found {utf8Json.Length}");
        try
        {
            return JsonSerializer.Deserialize<SignedManifest>(utf8Json, Options)
                ?? throw new ProtocolException("expected a JSON object, found null");
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"not a signed manifest: {ex.Message}", ex.Path, inner: ex);
        }
    }

    private static readonly JsonSerializerOptions Options = new() { RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true, AllowDuplicateProperties = false, MaxDepth = 4 };

    private static string Truncate(string? s) => s is null ? "null" : s.Length <= 40 ? s : s[..40] + "...";
}
