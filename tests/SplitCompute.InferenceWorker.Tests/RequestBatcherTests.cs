using Microsoft.Extensions.Time.Testing;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>Dynamic batching: what waits together runs together, within the token budget, and each caller gets its own answer.</summary>
public sealed class RequestBatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static TokenBatch Tokens(int start, int length) => TokenBatch.FromSequences([[.. Enumerable.Range(start, length)]]);

    [Fact]
    public async Task Requests_waiting_together_run_as_one_pass_each_with_its_own_k()
    {
        using var model = new TinyModel();
        var stats = new WorkerStats();
        using var batcher = new RequestBatcher(model, stats, TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        var requests = new[] { (Tokens(3, 12), 1), (Tokens(50, 5), 4), (Tokens(9, 20), 0) };
        var tasks = requests.Select(r => batcher.SubmitAsync(r.Item1, r.Item2, Pooling.Mean, CancellationToken.None)).ToList();
        Assert.Equal(3, stats.QueueDepth);

        batcher.Start();
        var results = await Task.WhenAll(tasks).WaitAsync(Patience);

        Assert.Equal(1, batcher.Passes);
        Assert.Equal(1, model.Embeds);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].Item2, results[i].Hidden.LayersDone);
            var (alone, _) = model.Alone(requests[i].Item1, requests[i].Item2, Pooling.Mean);
            Assert.True(alone.Data.Zip(results[i].Hidden.Data).All(p => Math.Abs(p.First - p.Second) <= 1e-5), $"request {i} differs from running alone");
        }
        Assert.NotNull(results[1].Embeddings);  // k = N: pooled
        Assert.Equal((0, 0), (stats.QueueDepth, stats.InFlight));
    }

    [Fact]
    public async Task Requests_arriving_during_a_pass_form_the_next_one()
    {
        using var model = new TinyModel();
        using var batcher = new RequestBatcher(model, new WorkerStats(), TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        batcher.Start();
        model.Gate.Reset();
        var first = batcher.SubmitAsync(Tokens(1, 8), 2, Pooling.Mean, CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => model.Embeds == 1, Patience), "the first pass never started");

        var later = Enumerable.Range(0, 3).Select(i => batcher.SubmitAsync(Tokens(10 * i, 6 + i), i, Pooling.Mean, CancellationToken.None)).ToList();
        model.Gate.Set();
        await Task.WhenAll(later.Append(first)).WaitAsync(Patience);

        Assert.Equal(2, batcher.Passes);
        Assert.Equal(2, model.Embeds);
    }

    [Fact]
    public async Task The_token_budget_splits_what_waits_into_several_passes()
    {
        using var model = new TinyModel();
        using var batcher = new RequestBatcher(model, new WorkerStats(), TimeSpan.Zero, maxTokens: 20, TimeProvider.System);
        var tasks = Enumerable.Range(0, 3).Select(i => batcher.SubmitAsync(Tokens(i, 10), 1, Pooling.Mean, CancellationToken.None)).ToList();

        batcher.Start();
        await Task.WhenAll(tasks).WaitAsync(Patience);

        Assert.Equal(2, batcher.Passes);  // 2 x 10 fits 20, the third waits for the next pass
    }

    [Fact]
    public async Task With_a_window_a_request_that_comes_shortly_after_joins_the_first()
    {
        using var model = new TinyModel();
        using var batcher = new RequestBatcher(model, new WorkerStats(), TimeSpan.FromSeconds(1), maxTokens: 4096, TimeProvider.System);
        batcher.Start();
        var first = batcher.SubmitAsync(Tokens(1, 8), 1, Pooling.Mean, CancellationToken.None);
        var second = batcher.SubmitAsync(Tokens(2, 9), 3, Pooling.Mean, CancellationToken.None);

        await Task.WhenAll(first, second).WaitAsync(Patience);

        Assert.Equal(1, batcher.Passes);
    }

    [Fact]
    public async Task A_request_cancelled_while_waiting_is_dropped_and_counted_as_abandoned()
    {
        using var model = new TinyModel();
        var stats = new WorkerStats();
        using var batcher = new RequestBatcher(model, stats, TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        batcher.Start();
        model.Gate.Reset();
        var running = batcher.SubmitAsync(Tokens(1, 8), 1, Pooling.Mean, CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => model.Embeds == 1, Patience), "the first pass never started");
        using var cancel = new CancellationTokenSource();
        var dropped = batcher.SubmitAsync(Tokens(2, 8), 1, Pooling.Mean, cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped.WaitAsync(Patience));
        model.Gate.Set();
        await running.WaitAsync(Patience);

        Assert.True(SpinWait.SpinUntil(() => stats.QueueDepth == 0 && stats.InFlight == 0, Patience), $"queue {stats.QueueDepth}, in flight {stats.InFlight}");
        Assert.Equal(1, batcher.Passes);
    }

    [Fact]
    public async Task Another_tenants_request_joins_the_first_pass_instead_of_waiting_behind_a_long_queue()
    {
        using var model = new TinyModel();
        var passes = new MeteredModel(model, new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        using var batcher = new RequestBatcher(passes, new WorkerStats(), TimeSpan.Zero, maxTokens: 20, TimeProvider.System);
        var heavy = Enumerable.Range(0, 4).Select(i => batcher.SubmitAsync(Tokens(i, 10), 4, Pooling.Mean, "heavy", CancellationToken.None)).ToList();
        var light = batcher.SubmitAsync(Tokens(900, 10), 4, Pooling.Mean, "light", CancellationToken.None);

        batcher.Start();
        var heavyResults = await Task.WhenAll(heavy).WaitAsync(Patience);
        var lightResult = await light.WaitAsync(Patience);

        // Two requests fit a pass: the first is heavy's oldest and light's (in arrival order light would run third, alone).
        Assert.Equal(3, batcher.Passes);
        Assert.Equal(2, passes.Ranges[0].B);
        var later = heavyResults.Skip(1).Min(r => r.QueueMs);
        Assert.True(lightResult.QueueMs < later, $"light waited {lightResult.QueueMs} ms, longer than a heavy request of a later pass ({later} ms)");
    }

    [Fact]
    public async Task A_running_pass_whose_callers_all_left_stops_before_its_next_layer()
    {
        using var model = new TinyModel();
        var metered = new MeteredModel(model, new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        var stats = new WorkerStats();
        using var batcher = new RequestBatcher(metered, stats, TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        batcher.Start();
        model.Gate.Reset();
        using var cancel = new CancellationTokenSource();
        var running = batcher.SubmitAsync(Tokens(1, 8), model.Config.NLayer, Pooling.Mean, "gone", cancel.Token);
        Assert.True(SpinWait.SpinUntil(() => model.Embeds == 1, Patience), "the pass never started");

        await cancel.CancelAsync();  // its caller goes away while the pass is embedding
        model.Gate.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));

        Assert.True(SpinWait.SpinUntil(() => batcher.Cancelled == 1, Patience), $"cancelled: {batcher.Cancelled}");
        Assert.Equal(0, metered.Ranges.Sum(r => r.To - r.From));  // none of the N layers ran
        Assert.True(SpinWait.SpinUntil(() => stats.QueueDepth == 0 && stats.InFlight == 0, Patience), $"queue {stats.QueueDepth}, in flight {stats.InFlight}");
        var next = await batcher.SubmitAsync(Tokens(2, 8), 1, Pooling.Mean, CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(1, next.Hidden.LayersDone);  // the batcher goes on serving
    }

    [Fact]
    public async Task A_failing_pass_fails_every_request_in_it_with_the_cause()
    {
        using var model = new TinyModel { FailWith = () => new InvalidOperationException("device lost") };
        var stats = new WorkerStats();
        using var batcher = new RequestBatcher(model, stats, TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        var tasks = Enumerable.Range(0, 2).Select(i => batcher.SubmitAsync(Tokens(i, 5), 1, Pooling.Mean, CancellationToken.None)).ToList();

        batcher.Start();

        foreach (var task in tasks)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => task.WaitAsync(Patience));
            Assert.Equal("device lost", error.Message);
        }
        Assert.Equal(0, stats.InFlight);
    }

    [Fact]
    public void A_k_outside_the_model_is_refused_at_submission()
    {
        using var model = new TinyModel();
        using var batcher = new RequestBatcher(model, new WorkerStats(), TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        // Refused synchronously, before anything is queued.
        Assert.Throws<ArgumentOutOfRangeException>(void () => _ = batcher.SubmitAsync(Tokens(1, 3), model.Config.NLayer + 1, Pooling.Mean, CancellationToken.None));
    }

    [Fact]
    public async Task Each_answer_carries_its_busy_time_and_what_all_layers_would_have_cost()
    {
        using var tiny = new TinyModel();
        var n = tiny.Config.NLayer;
        var time = new FakeTimeProvider();
        var stats = new WorkerStats(time);
        using var batcher = new RequestBatcher(new MeteredModel(tiny, time), stats, TimeSpan.Zero, maxTokens: 4096, time);
        var shallow = batcher.SubmitAsync(Tokens(1, 30), 0, Pooling.Mean, CancellationToken.None);
        var deep = batcher.SubmitAsync(Tokens(7, 9), n, Pooling.Mean, CancellationToken.None);
        Assert.Equal((30 * 0.001) + (9 * 0.001) + (n * 9 * 0.01), stats.BacklogMs(1), 9);  // priced with the start-up averages

        batcher.Start();
        var results = await Task.WhenAll(shallow, deep).WaitAsync(Patience);

        // Embedding 2 x 30 x 0.5 = 30 ms by tokens 30 : 9; blocks 1 x 9 x N ms, all the deep request's. The pass measured
        // 1 ms per layer-row, blended into the EWMA (0.2 x 1 + 0.8 x 0.01), which prices "full".
        var perRow = (0.2 * 1) + (0.8 * 0.01);
        Assert.Equal(perRow, stats.MsPerLayerRow, 9);
        Assert.Equal(30.0 * 30 / 39, results[0].BusyMs, 9);
        Assert.Equal((30.0 * 9 / 39) + (9 * n), results[1].BusyMs, 9);
        Assert.Equal((30.0 * 30 / 39) + (n * 30 * perRow), results[0].FullMs, 9);
        Assert.Equal((30.0 * 9 / 39) + (n * 9 * perRow), results[1].FullMs, 9);
        Assert.Equal(0, stats.BacklogMs(1));
        Assert.Equal((0, 0), (stats.QueueDepth, stats.InFlight));
    }
}
