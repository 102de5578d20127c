using System.Security.Cryptography;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// The edge's disk cache of content-addressed shards. A shard is downloaded once, hashed while it streams to a temporary file,
/// and only renamed into place when its SHA-256 matches the manifest; a mismatch is re-fetched once, then refused. Files in the
/// cache are re-verified the first time this process uses them, so a corrupted cache file is never run either.
/// </summary>
public sealed class ShardCache
{
    private readonly ShardStore _store;
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    public ShardCache(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        _store = new ShardStore(directory);
    }

    public string Directory => _store.Directory;

    /// <summary>Hashes of shards present in the cache (for the X-SplitCompute-Shards header).</summary>
    public IReadOnlyList<string> HeldShards() =>
        [.. System.IO.Directory.EnumerateFiles(_store.Directory, "*" + ShardStore.Extension)
            .Select(p => Path.GetFileNameWithoutExtension(p)).Where(ShardStore.IsValidHash)];

    /// <summary>Ensures every entry is cached and verified; returns the local paths in order, and the bytes downloaded.</summary>
    public async Task<(IReadOnlyList<string> Paths, long DownloadedBytes)> EnsureAsync(
        HttpClient http, Uri baseAddress, IReadOnlyList<Protocol.Manifests.ShardEntry> entries, CancellationToken cancellationToken)
    {
        var downloaded = 0L;
        var paths = new string[entries.Count];
        using var limiter = new SemaphoreSlim(4);
        await Task.WhenAll(entries.Select(async (entry, i) =>
        {
            await limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var (path, bytes) = await EnsureOneAsync(http, baseAddress, entry, cancellationToken).ConfigureAwait(false);
                paths[i] = path;
                Interlocked.Add(ref downloaded, bytes);
            }
            finally
            {
                limiter.Release();
            }
        })).ConfigureAwait(false);
        return (paths, downloaded);
    }

    private async Task<(string Path, long Downloaded)> EnsureOneAsync(HttpClient http, Uri baseAddress, Protocol.Manifests.ShardEntry entry, CancellationToken cancellationToken)
    {
        if (!ShardStore.IsValidHash(entry.Sha256)) throw new ShardIntegrityException($"manifest entry for layer {entry.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "final_norm"} has an invalid sha256 '{entry.Sha256}'");
        var path = _store.PathFor(entry.Sha256);
        if (File.Exists(path) && await IsVerifiedAsync(path, entry.Sha256, cancellationToken).ConfigureAwait(false)) return (path, 0);

        var downloaded = 0L;
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var (temporary, actual, bytes) = await DownloadAsync(http, new Uri(baseAddress, entry.Url), cancellationToken).ConfigureAwait(false);
            downloaded += bytes;
            if (actual == entry.Sha256 && bytes == entry.Bytes)
            {
                File.Move(temporary, path, overwrite: true);
                lock (_verified) _verified.Add(entry.Sha256);
                return (path, downloaded);
            }
            File.Delete(temporary);
            if (attempt == 2)
                throw new ShardIntegrityException($"shard {entry.Url}: expected sha256 {entry.Sha256} ({entry.Bytes} bytes), received {actual} ({bytes} bytes) twice; it was not used");
        }
        throw new InvalidOperationException("unreachable");
    }

    private async Task<bool> IsVerifiedAsync(string path, string sha256, CancellationToken cancellationToken)
    {
        lock (_verified)
        {
            if (_verified.Contains(sha256)) return true;
        }
        string actual;
        await using (var stream = File.OpenRead(path))
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
        if (actual != sha256)
        {
            File.Delete(path);  // corrupted in the cache: fetch it again
            return false;
        }
        lock (_verified) _verified.Add(sha256);
        return true;
    }

    private async Task<(string Temporary, string Sha256, long Bytes)> DownloadAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(_store.Directory, $".download-{Guid.NewGuid():N}");
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var bytes = 0L;
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        await using (var target = File.Create(temporary))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                bytes += read;
            }
        }
        return (temporary, Convert.ToHexStringLower(hash.GetHashAndReset()), bytes);
    }
}
