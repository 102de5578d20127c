using System.Collections.Concurrent;
using System.Security.Cryptography;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Integrity;

/// <summary>
/// Checks each hidden-state frame's manifest against the model revision's full manifest as signed by the gateway and verified
/// with the pinned public key. The signed manifest is fetched once per revision (GET /v1/manifests/{model}/{revision}) and
/// kept; a failed fetch is not kept, so the next request tries again. Every entry the frame lists (layer, sha256, bytes, dtype,
/// tensors, url) and the model shape (n_layer, n_embd, n_head, epsilon) must equal the signed ones.
/// </summary>
public sealed class ManifestVerifier : IDisposable
{
    private readonly ECDsa _publicKey;
    private readonly ConcurrentDictionary<string, Lazy<Task<ShardManifest>>> _verified = new(StringComparer.Ordinal);

    /// <param name="publicKeyPem">SubjectPublicKeyInfo PEM, as GET /v1/keys/manifest publishes it.</param>
    public ManifestVerifier(string publicKeyPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(publicKeyPem);
        _publicKey = ECDsa.Create();
        try
        {
            _publicKey.ImportFromPem(publicKeyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            _publicKey.Dispose();
            throw new ArgumentException($"the pinned manifest key is not an ECDSA public key in PEM: {ex.Message}", nameof(publicKeyPem), ex);
        }
        KeyId = SignedManifest.KeyIdOf(_publicKey);
    }

    public string KeyId { get; }

    /// <summary>Throws <see cref="ManifestVerificationException"/> unless every part of <paramref name="frameManifest"/> is signed.</summary>
    public async Task VerifyAsync(HttpClient http, ShardManifest frameManifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frameManifest);
        var signed = await SignedAsync(http, frameManifest.Model, frameManifest.Revision, cancellationToken).ConfigureAwait(false);
        Check(frameManifest, signed);
    }

    /// <summary>The comparison alone, for a manifest already verified.</summary>
    public static void Check(ShardManifest frameManifest, ShardManifest signed)
    {
        ArgumentNullException.ThrowIfNull(frameManifest);
        ArgumentNullException.ThrowIfNull(signed);
        var where = $"{frameManifest.Model}@{frameManifest.Revision}";
        if (frameManifest.Model != signed.Model || frameManifest.Revision != signed.Revision)
            throw new ManifestVerificationException($"the frame's manifest is for {where}, the signed one for {signed.Model}@{signed.Revision}");
        if (frameManifest.NLayer != signed.NLayer || frameManifest.NEmbd != signed.NEmbd || frameManifest.NHead != signed.NHead
            || !frameManifest.LayerNormEpsilon.Equals(signed.LayerNormEpsilon))
            throw new ManifestVerificationException($"{where}: the frame's model shape (n_layer {frameManifest.NLayer}, n_embd {frameManifest.NEmbd}, n_head {frameManifest.NHead}, epsilon {frameManifest.LayerNormEpsilon}) is not the signed one");
        foreach (var entry in frameManifest.Shards)
        {
            var expected = entry.Layer is { } layer ? signed.ForLayer(layer) : null;
            if (expected is null || !expected.Equals(entry))
                throw new ManifestVerificationException($"{where}: layer {entry.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} shard {entry.Sha256} ({entry.Bytes} bytes, {entry.DType}) is not in the signed manifest");
        }
        if (frameManifest.Family != signed.Family)
            throw new ManifestVerificationException($"{where}: the frame's model family \"{frameManifest.Family}\" is not the signed one (\"{signed.Family}\")");
        if (!Equals(signed.FinalNorm, frameManifest.FinalNorm))
            throw new ManifestVerificationException($"{where}: final norm shard {frameManifest.FinalNorm?.Sha256 ?? "(none)"} is not the signed one");
    }

    /// <summary>The revision's whole manifest, signature checked against the pinned key (fetched once per revision).</summary>
    public Task<ShardManifest> FullManifestAsync(HttpClient http, string model, string revision, CancellationToken cancellationToken) =>
        SignedAsync(http, model, revision, cancellationToken);

    private async Task<ShardManifest> SignedAsync(HttpClient http, string model, string revision, CancellationToken cancellationToken)
    {
        var key = $"{model}@{revision}";
        var lazy = _verified.GetOrAdd(key, _ => new Lazy<Task<ShardManifest>>(() => FetchAsync(http, model, revision)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _verified.TryRemove(new KeyValuePair<string, Lazy<Task<ShardManifest>>>(key, lazy));  // retry next time
            throw;
        }
    }

    // Not tied to one request's cancellation: the result is shared by every request for the revision.
    private async Task<ShardManifest> FetchAsync(HttpClient http, string model, string revision)
    {
        var url = $"/v1/manifests/{Uri.EscapeDataString(model)}/{Uri.EscapeDataString(revision)}";
        byte[] body;
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new ManifestVerificationException($"GET {url} answered {(int)response.StatusCode} {response.StatusCode}; the frame's shards are not trusted without a signed manifest");
            if (response.Content.Headers.ContentLength > SignedManifest.MaxBytes)
                throw new ManifestVerificationException($"GET {url}: {response.Content.Headers.ContentLength} bytes is over the {SignedManifest.MaxBytes}-byte limit");
            body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)  // refused, or cut off mid-body
        {
            throw new ManifestVerificationException($"GET {url} failed: {ex.Message}", ex);
        }
        try
        {
            var manifest = SignedManifest.FromJson(body).Verify(_publicKey);
            if (manifest.Model != model || manifest.Revision != revision)
                throw new ManifestVerificationException($"GET {url} returned a manifest signed for {manifest.Model}@{manifest.Revision}");
            return manifest;
        }
        catch (ProtocolException ex)
        {
            throw new ManifestVerificationException($"the signed manifest of {model}@{revision} was refused: {ex.Message}", ex);
        }
    }

    public void Dispose() => _publicKey.Dispose();
}
