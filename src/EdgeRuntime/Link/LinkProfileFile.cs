using System.Text.Json;
using System.Text.Json.Nodes;

namespace SplitCompute.EdgeRuntime.Link;

/// <summary>
/// The measured link kept in the shard cache directory ("link.json"), shared by every process using that cache (they run on
/// the same device and link). An update reads the file, applies the sample to what it holds and writes it back, all under an
/// exclusive lock file, so concurrent processes merge their samples instead of overwriting each other; the file is only ever
/// replaced whole (rename), so a reader sees the old file or the new one. An unreadable or damaged file counts as empty.
/// </summary>
internal sealed class LinkProfileFile(string directory)
{
    public const string FileName = "link.json";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    public string Path { get; } = System.IO.Path.Combine(directory, FileName);

    public LinkProfile Read()
    {
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(Path));
            double? Positive(string name) => json?[name]?.GetValue<double>() is { } x && double.IsFinite(x) && x >= 0 ? x : null;
            int Count(string name) => json?[name]?.GetValue<int>() is { } n and >= 0 ? n : 0;
            var downlink = Positive("downlink_mbps") is { } d && d > 0 ? d : (double?)null;
            var rtt = Positive("rtt_ms");
            return new LinkProfile(downlink, downlink is null ? 0 : Count("downlink_samples"), rtt, rtt is null ? 0 : Count("rtt_samples"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return LinkProfile.Empty;  // absent, being replaced on a platform without atomic rename, or damaged: no measurement
        }
    }

    /// <summary>Applies <paramref name="update"/> to the file's current profile under the lock; returns what was written.</summary>
    public LinkProfile Update(Func<LinkProfile, LinkProfile> update)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using (Shards.ExclusiveLockFile.Acquire(Path + ".lock", LockWait))
        {
            var next = update(Read());
            var temporary = $"{Path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new
            {
                downlink_mbps = next.DownlinkMbps,
                downlink_samples = next.DownlinkSamples,
                rtt_ms = next.RttMs,
                rtt_samples = next.RttSamples,
                updated = DateTimeOffset.UtcNow,
            }));
            File.Move(temporary, Path, overwrite: true);
            return next;
        }
    }
}
