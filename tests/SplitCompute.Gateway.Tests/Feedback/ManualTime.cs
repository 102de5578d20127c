namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>A clock the test moves by hand (TTLs and cool-downs without sleeping).</summary>
internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
