using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>What one download produced: the SHA-256 and length of the partial file, and the bytes that crossed the network.</summary>
internal readonly record struct DownloadOutcome(string Sha256, long FileBytes, long NetworkBytes);

/// <summary>
/// Downloads one shard into its partial file, resuming with HTTP Range where an earlier attempt (this process's or a crashed
/// one's) stopped, and hashing as it goes (a resumed prefix is hashed from disk first). A dropped connection is retried,
/// resuming again, up to the configured attempts. The caller holds the shard's exclusive lock, so no one else writes the file.
/// </summary>
internal sealed class ShardDownloader(HttpClient http, int transportAttempts)
{
    private const int BufferSize = 1 << 16;

    public async Task<DownloadOutcome> DownloadAsync(Uri url, string partPath, string sha256, long expectedBytes,
        DownloadProgressCounter progress, CancellationToken cancellationToken)
    {
        var network = 0L;
        // A partial file left by an earlier run is progress already made; retries below count only what they add.
        var resumed = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
        progress.Advance(resumed);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (hash, length) = await AttemptAsync(url, partPath, sha256, expectedBytes, progress, bytes => network += bytes, cancellationToken).ConfigureAwait(false);
                return new DownloadOutcome(hash, length, network);
            }
            catch (Exception ex) when (attempt < transportAttempts && IsTransportFailure(ex, cancellationToken))
            {
                // The partial file keeps what arrived; the next attempt asks for the rest.
            }
        }
    }

    private async Task<(string Sha256, long Length)> AttemptAsync(Uri url, string partPath, string sha256, long expectedBytes,
        DownloadProgressCounter progress, Action<long> received, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var part = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, BufferSize, useAsync: true);
        var have = part.Length;
        if (have > expectedBytes)
        {
            part.SetLength(0);  // longer than the shard: not a prefix of it
            progress.Rewind(have);
            have = 0;
        }
        await HashPrefixAsync(part, hash, have, cancellationToken).ConfigureAwait(false);
        if (have == expectedBytes) return (Convert.ToHexStringLower(hash.GetHashAndReset()), have);

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            // If the server's copy differs from what we started on (another ETag), it sends the whole file (200), not a range.
            request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{sha256}\""));
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK && have > 0)
        {
            progress.Rewind(have);
            part.SetLength(0);
            part.Position = 0;
            hash.GetHashAndReset();
            have = 0;
        }
        else if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var start = response.Content.Headers.ContentRange?.From;
            if (start != have)
                throw new HttpRequestException($"shard {url}: asked for bytes {have}- and the server sent a range starting at {start?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}",
                    null, response.StatusCode);
        }
        else if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The server's file is not longer than our partial one: the part is no prefix of it. Start over next time.
            part.SetLength(0);
            progress.Rewind(have);
            throw new HttpRequestException($"shard {url}: the server refused a resume from byte {have} (416); the partial file was discarded",
                null, response.StatusCode);
        }
        else if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"shard {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}{(have > 0 ? $" to a resume from byte {have}" : "")}",
                null, response.StatusCode);
        }

        part.Position = have;
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (have + read > expectedBytes)
                throw new ShardIntegrityException($"shard {url}: the server sent more than the {expectedBytes} bytes the manifest lists for sha256 {sha256}");
            hash.AppendData(buffer, 0, read);
            await part.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            have += read;
            received(read);
            progress.Advance(read);
        }
        await part.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), have);
    }

    /// <summary>Hashes the first <paramref name="length"/> bytes already on disk so the digest covers the whole file after a resume.</summary>
    private static async Task HashPrefixAsync(FileStream part, IncrementalHash hash, long length, CancellationToken cancellationToken)
    {
        part.Position = 0;
        var buffer = new byte[BufferSize];
        var left = length;
        while (left > 0)
        {
            var read = await part.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException($"partial shard {part.Name} ended at {length - left} bytes while hashing its first {length}");
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
    }

    /// <summary>A connection that failed or was cut off mid-body, as opposed to a refusal (4xx/5xx) or the caller cancelling.</summary>
    private static bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex switch
        {
            HttpRequestException { StatusCode: null } => true,
            HttpIOException => true,
            IOException io when io is not FileNotFoundException && io.InnerException is System.Net.Sockets.SocketException => true,
            TaskCanceledException => true,  // HttpClient's own timeout
            _ => false,
        };
}
