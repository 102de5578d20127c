using SplitCompute.Benchmarks.Fleet;

namespace SplitCompute.Gateway.Tests.FleetSim;

/// <summary>The fleet simulator's event queue and its worker's batch exit rule and busy attribution (benchmarks/.../Fleet).</summary>
public sealed class FleetSimCoreTests
{
    private static readonly DeviceSpeed Speed = new("test", MsPerLayerRow: 0.01, LayerFixedMs: 1, EmbedMsPerToken: 0.1);

    [Fact]
    public void Events_run_in_time_order_ties_in_scheduling_order_and_set_the_clock()
    {
        var events = new EventQueue(new SimClock());
        var seen = new List<string>();
        events.At(20, () => seen.Add($"b@{events.Now}"));
        events.At(10, () =>
        {
            seen.Add($"a@{events.Now}");
            events.After(10, () => seen.Add($"c@{events.Now}"));  // same time as b, scheduled later: runs after b
            events.At(5, () => seen.Add($"past@{events.Now}"));   // in the past: runs now, never backwards
        });
        events.At(30, () => seen.Add($"late@{events.Now}"));
        Assert.Equal(4, events.RunUntil(25));
        Assert.Equal(["a@10", "past@10", "b@20", "c@20"], seen);
        Assert.Equal(1, events.Pending);
        events.RunUntil(double.MaxValue);
        Assert.Equal("late@30", seen[^1]);
    }

    [Fact]
    public void A_pass_runs_each_layer_only_over_the_rows_that_still_need_it_and_each_request_leaves_at_its_exit()
    {
        // Three requests of 100 rows: k = 0 (all layers at the edge), k = 2, k = 4.
        PassRow[] rows = [new(Tokens: 10, Rows: 100, K: 0), new(10, 100, 2), new(10, 100, 4)];
        var shares = new PassShare[3];
        var duration = BatchPass.Schedule(rows, Speed, shares);
        // Embeddings 3 x 1 ms; layers 0-1 over 200 rows (1 + 2 ms each); layers 2-3 over 100 rows (1 + 1 ms each). Not 4 x 300 rows.
        Assert.Equal(3 + (2 * 3) + (2 * 2), duration, 9);
        Assert.Equal(3, shares[0].DoneAfterMs, 9);           // answered after the embeddings
        Assert.Equal(3 + 6, shares[1].DoneAfterMs, 9);       // after layer 1
        Assert.Equal(duration, shares[2].DoneAfterMs, 9);
        // Busy time by row-layers: the k = 0 request pays only its embeddings; the layers' fixed cost is shared by rows.
        Assert.Equal(1, shares[0].BusyMs, 9);
        Assert.Equal(1 + (2 * 1.5), shares[1].BusyMs, 9);
        Assert.Equal(1 + (2 * 1.5) + (2 * 2), shares[2].BusyMs, 9);
        Assert.Equal(duration, shares.Sum(s => s.BusyMs), 9);  // every busy millisecond is someone's
    }

    [Fact]
    public void Requests_arriving_during_a_pass_form_the_next_pass_and_the_heartbeat_counts_the_work_ahead()
    {
        var events = new EventQueue(new SimClock());
        var worker = new SimWorker("w0", Speed, events);
        var done = new List<SimJob>();
        worker.Submit(new SimJob(10, 100, 12, done.Add));  // 1 + 12 x 2 = 25 ms alone
        events.At(5, () =>
        {
            worker.Submit(new SimJob(10, 100, 12, done.Add));
            worker.Submit(new SimJob(10, 100, 0, done.Add));
            var heartbeat = worker.Heartbeat(ModelShape.Gpt2);
            // 20 ms of the running pass, plus the queued requests' predicted cost from the worker's calibrated EWMAs.
            Assert.Equal(20 + 1 + (12 * 100 * worker.MsPerLayerToken) + 1, heartbeat.BacklogMs, 6);
            Assert.Equal(2, heartbeat.QueueDepth);
        });
        events.RunUntil(double.MaxValue);
        Assert.Equal(3, done.Count);
        Assert.Equal([0.0, 25.0, 25.0], done.Select(j => j.StartedMs).Order());
        Assert.Equal(25 + 2, done.Single(j => j.K == 0).DoneMs, 9);  // the second pass embeds both, then the k = 0 request leaves
        Assert.Equal(20, done.Single(j => j.K == 0).QueueMs, 9);
        Assert.Equal(2, worker.Passes);
        Assert.Equal(25 + 2 + (12 * 2), worker.TotalBusyMs, 9);
        Assert.Equal(worker.TotalBusyMs, done.Sum(j => j.BusyMs), 9);
        Assert.Equal(Math.Round(51 / 5_000.0, 6), Math.Round(worker.BusyFraction(), 6));
    }
}
