namespace SplitCompute.InferenceWorker.Tests;

/// <summary>
/// A clock the test moves by hand (timestamps in ticks). Hand-made because Microsoft.Extensions.TimeProvider.Testing is not on
/// the package feed; it covers what the worker reads: GetTimestamp / GetElapsedTime and GetUtcNow.
/// </summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public void AdvanceMs(double ms) => Advance(TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond)));
}
