using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Tests.Workers;

/// <summary>The queue the gateway predicts is the worker's schedule: drained since the heartbeat, with our own requests counted once.</summary>
public sealed class OwnRequestLedgerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    private static WorkerHeartbeat Heartbeat(double backlogMs, DateTimeOffset at, int capacity = 1) => new()
    {
        WorkerId = "w1", Address = "http://127.0.0.1:1", Model = "gpt2", Revision = "r", NLayer = 12, NEmbd = 768, NPositions = 1024,
        Device = "cpu", DeviceName = "cpu", Capacity = capacity, BacklogMs = backlogMs, UnixMs = at.ToUnixTimeMilliseconds(),
    };

    [Fact]
    public void A_clients_own_finished_request_is_no_phantom_queue()
    {
        // The heartbeat was taken while our request (150 ms of work) ran; it has finished since: nothing is ahead.
        var time = new FakeTimeProvider(Start);
        var ledger = new OwnRequestLedger(time);
        var ticket = ledger.Started("w1", queueMs: 0, workMs: 150);
        time.Advance(TimeSpan.FromMilliseconds(10));
        var heartbeat = Heartbeat(140, time.GetUtcNow());
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(135, ledger.PredictQueueMs(heartbeat), 6);  // still running: what is left of it
        time.Advance(TimeSpan.FromMilliseconds(100));
        ledger.Finished(ticket);
        Assert.Equal(0, ledger.PredictQueueMs(heartbeat), 6);
    }

    [Fact]
    public void Other_gateways_work_drains_at_one_millisecond_per_millisecond()
    {
        var time = new FakeTimeProvider(Start);
        var ledger = new OwnRequestLedger(time);
        var heartbeat = Heartbeat(300, time.GetUtcNow());  // none of it ours
        time.Advance(TimeSpan.FromMilliseconds(120));
        Assert.Equal(180, ledger.PredictQueueMs(heartbeat), 6);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, ledger.PredictQueueMs(heartbeat), 6);
    }

    [Fact]
    public void Requests_sent_since_the_heartbeat_are_counted_spread_over_the_workers_slots()
    {
        var time = new FakeTimeProvider(Start);
        var ledger = new OwnRequestLedger(time);
        var heartbeat = Heartbeat(0, time.GetUtcNow(), capacity: 2);
        ledger.Started("w1", 0, 40);
        ledger.Started("w1", 0, 60);
        Assert.Equal(50, ledger.PredictQueueMs(heartbeat), 6);
        time.Advance(TimeSpan.FromMilliseconds(30));  // 10 + 30 left
        Assert.Equal(20, ledger.PredictQueueMs(heartbeat), 6);
    }

    [Fact]
    public void What_the_worker_says_requests_really_waited_corrects_the_next_predictions_within_bounds()
    {
        var time = new FakeTimeProvider(Start);
        var ledger = new OwnRequestLedger(time);
        var heartbeat = Heartbeat(0, time.GetUtcNow());
        var ticket = ledger.Started("w1", 0, 100);
        Assert.Equal(100, ledger.PredictQueueMs(heartbeat), 6);
        // Batched passes pad every row to the longest sequence: requests the schedule priced at 40 ms waited 60. Each was
        // predicted with the correction of its time (here: this worker's 100 ms prediction scaled to 40 before correction).
        for (var i = 0; i < 300; i++) ledger.Observed("w1", predictedQueueMs: 0.4 * ledger.PredictQueueMs(heartbeat), observedWaitMs: 60);
        Assert.Equal(150, ledger.PredictQueueMs(heartbeat), 3);
        for (var i = 0; i < 300; i++) ledger.Observed("w1", predictedQueueMs: 0.1 * ledger.PredictQueueMs(heartbeat), observedWaitMs: 1_000);
        Assert.Equal(400, ledger.PredictQueueMs(heartbeat), 6);  // at most 4x
        ledger.Observed("w1", double.NaN, 5);                    // ignored
        ledger.Observed("w1", 0.1, 0.2);                         // too small to say anything
        Assert.Equal(400, ledger.PredictQueueMs(heartbeat), 6);
        ledger.Finished(ticket);
    }

    [Fact]
    public void Queue_prediction_never_goes_negative()
    {
        Assert.Equal(0, QueuePrediction.Others(10, 50, 0));
        Assert.Equal(0, QueuePrediction.Others(10, 0, 20));
        Assert.Equal(10, QueuePrediction.Others(10, 0, -5));  // a worker clock ahead of ours is no time elapsed
    }

    [Fact]
    public void Finished_requests_are_held_only_until_a_newer_heartbeat_and_those_in_flight_still_count()
    {
        // 10,000 requests finish between heartbeats (the gateway's hot path at 10k requests/s): a prediction must not walk
        // them all, and the next heartbeat lets them go; the two still in flight stay counted.
        var time = new FakeTimeProvider(Start);
        var ledger = new OwnRequestLedger(time);
        var running = new[] { ledger.Started("w1", 0, 40), ledger.Started("w1", 0, 60) };
        for (var i = 0; i < 10_000; i++) ledger.Finished(ledger.Started("w1", 0, 1));
        Assert.Equal(10_002, ledger.Tracked("w1"));
        time.Advance(TimeSpan.FromMilliseconds(10));
        var heartbeat = Heartbeat(100, time.GetUtcNow(), capacity: 2);
        time.Advance(TimeSpan.FromMilliseconds(1));
        // Others: 100 - (30 + 50) / 2 at the heartbeat, 1 ms drained since; ours now: (29 + 49) / 2.
        Assert.Equal(59 + 39, ledger.PredictQueueMs(heartbeat), 6);
        Assert.Equal(2, ledger.Tracked("w1"));
        foreach (var ticket in running) ledger.Finished(ticket);
        Assert.Equal(2, ledger.Tracked("w1"));  // finished after the heartbeat: its backlog may still count them
        Assert.Equal(59, ledger.PredictQueueMs(heartbeat), 6);
    }
}
