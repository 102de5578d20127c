using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EdgeRuntime.Link;

/// <summary>
/// Measures this device's link to the gateway from what it does anyway, and says what to advertise in X-SplitCompute-Network:
/// <list type="bullet">
/// <item>downlink from transfers of at least <see cref="MinDownlinkBytes"/> (shard downloads, hidden-state frames): smaller ones
///   measure latency, not bandwidth;</item>
/// <item>RTT from requests: the request's time to response headers minus the worker's own time (X-SplitCompute-Worker-Ms
///   total), which leaves network and gateway; or a cheap request timed whole (GET /alive).</item>
/// </list>
/// Before any downlink sample it advertises <see cref="ConservativeDownlinkMbps"/> of the measured RTT, never a constant.
/// Samples are averaged (EWMA) into a file in the cache directory that every process of this device shares.
/// </summary>
public sealed class LinkEstimator
{
    /// <summary>Transfers smaller than this do not update the downlink (the gateway's MinDownloadBytesForDownlink too).</summary>
    public const long MinDownlinkBytes = 256 * 1024;

    /// <summary>The receive window the conservative downlink assumes: one TCP stream without window scaling.</summary>
    public const double ConservativeWindowBytes = 64 * 1024;

    /// <summary>Bounds of the conservative downlink (Mbit/s): no slower than a poor mobile link, no faster than gigabit Ethernet.</summary>
    public const double MinConservativeMbps = 1, MaxConservativeMbps = 1_000;

    private readonly LinkProfileFile _file;
    private readonly Lock _gate = new();
    private LinkProfile _profile;

    public LinkEstimator(string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        _file = new LinkProfileFile(cacheDirectory);
        _profile = _file.Read();
    }

    /// <summary>The averages as this process last read or wrote them.</summary>
    public LinkProfile Profile
    {
        get
        {
            lock (_gate) return _profile;
        }
    }

    /// <summary>Whether any RTT was measured yet (here or by another process sharing the cache).</summary>
    public bool HasRtt => Profile.RttMs is not null;

    /// <summary>
    /// What to advertise: the measured downlink, or the conservative one of the measured RTT; null parts when nothing is
    /// measured at all (the gateway then cannot plan a split, which is right: it would be guessing).
    /// </summary>
    public NetworkMeasurements? Advertised()
    {
        var p = Profile;
        if (p.RttMs is null && p.DownlinkMbps is null) return null;
        var downlink = p.DownlinkMbps ?? (p.RttMs is { } rtt ? ConservativeDownlinkMbps(rtt) : null);
        return new NetworkMeasurements(downlink is { } d ? Math.Round(d, 3) : null, p.RttMs is { } r ? Math.Round(r, 3) : null);
    }

    /// <summary>
    /// The downlink one TCP stream is sure to reach with a 64 KiB window: window x 8 / RTT, clamped to [1, 1000] Mbit/s
    /// (1 ms -> 524 Mbit/s, 20 ms -> 26 Mbit/s, 100 ms -> 5.2 Mbit/s). Real links with window scaling are faster, so this
    /// errs towards the cloud until a transfer is measured.
    /// </summary>
    public static double ConservativeDownlinkMbps(double rttMs)
    {
        var mbps = ConservativeWindowBytes * 8 / (Math.Max(rttMs, 0.1) / 1000) / 1e6;
        return Math.Clamp(mbps, MinConservativeMbps, MaxConservativeMbps);
    }

    /// <summary>A transfer of <paramref name="bytes"/> that took <paramref name="milliseconds"/>; ignored when too small or too short to time.</summary>
    public bool ObserveTransfer(long bytes, double milliseconds)
    {
        if (bytes < MinDownlinkBytes || !(milliseconds > 0.05) || !double.IsFinite(milliseconds)) return false;
        var mbps = Math.Min(bytes * 8 / (milliseconds / 1000) / 1e6, CapabilityBounds.MaxDownlinkMbps);
        Save(p => p.WithDownlink(mbps));
        return true;
    }

    /// <summary>One round trip measured: network and gateway time of a request (its own processing removed where known).</summary>
    public void ObserveRtt(double milliseconds)
    {
        if (!double.IsFinite(milliseconds) || milliseconds < 0) return;
        Save(p => p.WithRtt(Math.Min(milliseconds, CapabilityBounds.MaxRttMs)));
    }

    /// <summary>
    /// RTT of a request from its time to response headers and the worker's own total (X-SplitCompute-Worker-Ms), when the
    /// answer carried one; without it, request time includes queue and compute and is not a round trip, so nothing is taken.
    /// </summary>
    public void ObserveRequest(double requestMs, double? workerTotalMs)
    {
        if (workerTotalMs is not { } worker) return;
        ObserveRtt(Math.Max(0, requestMs - worker));
    }

    private void Save(Func<LinkProfile, LinkProfile> update)
    {
        LinkProfile next;
        try
        {
            next = _file.Update(update);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lock (_gate) next = update(_profile);  // a read-only or contended cache: keep measuring in memory
        }
        lock (_gate) _profile = next;
    }
}
