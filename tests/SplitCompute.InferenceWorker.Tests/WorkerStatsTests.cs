using Microsoft.Extensions.Time.Testing;
using SplitCompute.InferenceWorker.Execution;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>The backlog is the real schedule (priced work queued + what remains of running passes), and busy_fraction is measured.</summary>
public sealed class WorkerStatsTests
{
    private static readonly RequestWork Work = new(Tokens: 10, Rows: 20, K: 3);  // 10 x 0.1 + 3 x 20 x 0.5 = 31 ms

    private static (WorkerStats Stats, FakeTimeProvider Time) Calibrated()
    {
        var time = new FakeTimeProvider();
        var stats = new WorkerStats(time);
        stats.Calibrated(msPerLayerRow: 0.5, embedMsPerToken: 0.1);
        return (stats, time);
    }

    [Fact]
    public void Backlog_prices_every_queued_request_and_what_remains_of_the_running_pass()
    {
        var (stats, time) = Calibrated();
        stats.Enqueued(Work);
        stats.Enqueued(Work with { K = 0 });
        Assert.Equal(31 + 1, stats.BacklogMs(1), 9);

        var pass = stats.PassStarted(predictedMs: 100);
        time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(32 + 70, stats.BacklogMs(1), 9);
        Assert.Equal((32 + 70) / 2.0, stats.BacklogMs(2), 9);

        time.Advance(TimeSpan.FromMilliseconds(500));  // running late: it adds nothing, never less than nothing
        Assert.Equal(32, stats.BacklogMs(1), 9);
        stats.PassEnded(pass, null);
        stats.Abandoned(Work with { K = 0 });
        Assert.Equal(31, stats.BacklogMs(1), 9);
        stats.Started(Work);                                     // taken into a pass: no longer queued
        Assert.Equal(0, stats.BacklogMs(1), 9);
        Assert.Equal((0, 1), (stats.QueueDepth, stats.InFlight));
    }

    [Fact]
    public void Queued_work_is_priced_with_the_averages_of_now()
    {
        var (stats, _) = Calibrated();
        stats.Enqueued(Work);
        var pass = stats.PassStarted(0);
        stats.PassEnded(pass, new PassMeasure(EmbedMs: 10, Tokens: 10, LayersMs: 150, LayerRows: 100));  // 1 ms per token, 1.5 ms per layer-row

        Assert.Equal((0.2 * 1) + (0.8 * 0.1), stats.EmbedMsPerToken, 9);
        Assert.Equal((0.2 * 1.5) + (0.8 * 0.5), stats.MsPerLayerRow, 9);
        Assert.Equal((10 * stats.EmbedMsPerToken) + (60 * stats.MsPerLayerRow), stats.BacklogMs(1), 9);
        Assert.Equal(2 + (12 * 20 * stats.MsPerLayerRow), stats.FullMs(embedMs: 2, rows: 20, nLayer: 12), 9);
    }

    [Fact]
    public void A_failed_pass_leaves_the_averages_alone()
    {
        var (stats, _) = Calibrated();
        stats.PassEnded(stats.PassStarted(5), null);
        Assert.Equal((0.5, 0.1), (stats.MsPerLayerRow, stats.EmbedMsPerToken));
        Assert.Throws<InvalidOperationException>(() => stats.PassEnded(1, null));  // ended twice
    }

    [Fact]
    public void Busy_fraction_is_the_busy_share_of_the_last_five_seconds()
    {
        var (stats, time) = Calibrated();
        Assert.Equal(0, stats.BusyFraction);
        time.Advance(TimeSpan.FromMilliseconds(1_000));
        var pass = stats.PassStarted(10);
        time.Advance(TimeSpan.FromMilliseconds(1_000));
        Assert.Equal(0.5, stats.BusyFraction, 9);                // 1 s busy of the 2 s since start
        stats.PassEnded(pass, null);
        time.Advance(TimeSpan.FromMilliseconds(3_000));
        Assert.Equal(0.2, stats.BusyFraction, 9);                // 1 s of the last 5 s
        time.Advance(TimeSpan.FromMilliseconds(1_500));
        Assert.Equal(0.1, stats.BusyFraction, 9);                // half of that second has left the window

        var a = stats.PassStarted(10);
        var b = stats.PassStarted(10);                           // overlapping passes count once
        time.Advance(TimeSpan.FromMilliseconds(2_500));
        stats.PassEnded(a, null);
        time.Advance(TimeSpan.FromMilliseconds(2_500));
        Assert.Equal(1, stats.BusyFraction, 9);
        stats.PassEnded(b, null);
        time.Advance(TimeSpan.FromMilliseconds(6_000));
        Assert.Equal(0, stats.BusyFraction, 9);
    }
}
