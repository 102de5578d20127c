namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// Simulated time as a <see cref="TimeProvider"/>, so the gateway's real classes (ledger, profile store, outstanding decisions)
/// read the simulation's clock. <see cref="NowMs"/> is milliseconds since the run's start, which is <see cref="Epoch"/>.
/// </summary>
internal sealed class SimClock : TimeProvider
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly double EpochUnixMs = (Epoch - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    public double NowMs { get; set; }

    /// <summary>Unix milliseconds of simulated time <paramref name="ms"/> (what heartbeats carry).</summary>
    public static long UnixMs(double ms) => (long)Math.Floor(EpochUnixMs + ms);

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks((long)(NowMs * TimeSpan.TicksPerMillisecond));
}
