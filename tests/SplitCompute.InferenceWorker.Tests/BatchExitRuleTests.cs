using Microsoft.Extensions.Time.Testing;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>
/// The exit rule: a pass computes only the layers each row needs (rows leave at their k, T shrinks to the longest row still
/// running), and each request is charged the device time it used. Costs come from <see cref="MeteredModel"/>'s fake clock.
/// </summary>
public sealed class BatchExitRuleTests
{
    private static TokenBatch Tokens(int start, params int[] lengths) =>
        TokenBatch.FromSequences([.. lengths.Select((length, i) => Enumerable.Range(start + (100 * i), length).ToArray())]);

    [Fact]
    public void Rows_leave_at_their_exit_and_later_stages_run_on_the_rows_still_active_only()
    {
        using var tiny = new TinyModel();
        var n = tiny.Config.NLayer;
        var model = new MeteredModel(tiny, new FakeTimeProvider());
        BatchItem[] items =
        [
            new(Tokens(1, 30), 0, Pooling.Mean),
            new(Tokens(7, 9), n, Pooling.Last),
            new(Tokens(5, 17, 4), 2, Pooling.Mean),
            new(Tokens(300, 12), 2, Pooling.Mean),
        ];

        var results = BatchRunner.Run(model, items, new double[items.Length], new FakeTimeProvider()).Results;

        // Deepest first: [k=N: 1 row][k=2: 2 + 1 rows][k=0: 1 row]; T shrinks to the longest row still running.
        Assert.Equal([(5, 30, 0, 0), (4, 17, 0, 2), (1, 9, 2, n)], model.Ranges);
        for (var i = 0; i < items.Length; i++)
        {
            var (hidden, embeddings) = tiny.Alone(items[i].Batch, items[i].K, items[i].Pooling);
            Assert.Equal(items[i].K, results[i].Hidden.LayersDone);
            Assert.Same(items[i].Batch, results[i].Hidden.Batch);
            var max = Differences.MaxOnValid(results[i].Hidden, hidden);
            Assert.True(max <= 1e-5, $"request {i} (k = {items[i].K}): max |difference| from running alone {max:E3}");
            Assert.Equal(embeddings is null, results[i].Embeddings is null);
            if (embeddings is not null)
            {
                var pooled = embeddings.SelectMany(e => e).Zip(results[i].Embeddings!.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(pooled <= 1e-5, $"request {i}: pooled embeddings differ by {pooled:E3}");
            }
        }
    }

    [Fact]
    public void Busy_time_is_the_token_share_of_the_embedding_plus_the_row_share_of_each_stage_a_request_was_in()
    {
        using var tiny = new TinyModel();
        var n = tiny.Config.NLayer;
        var time = new FakeTimeProvider();
        var model = new MeteredModel(tiny, time, embedMsPerPosition: 0.5, msPerLayerRow: 1);
        BatchItem[] items = [new(Tokens(1, 30), 0, Pooling.Mean), new(Tokens(7, 9), n, Pooling.Mean), new(Tokens(50, 18), n, Pooling.Mean)];

        var pass = BatchRunner.Run(model, items, new double[items.Length], time);

        // Embedding: 3 x 30 positions x 0.5 = 45 ms over 30 + 9 + 18 real tokens. Stage k = 0: no block. Stage k = N: rows of
        // the two deep requests only, T = 18: 2 x 18 x N ms, shared by their own rows 9 : 18.
        var embed = new[] { 45.0 * 30 / 57, 45.0 * 9 / 57, 45.0 * 18 / 57 };
        var stage = 2 * 18 * n;
        double[] expected = [embed[0], embed[1] + (stage * 9.0 / 27), embed[2] + (stage * 18.0 / 27)];
        for (var i = 0; i < items.Length; i++)
        {
            Assert.Equal(expected[i], pass.Results[i].BusyMs, 9);
            Assert.Equal(embed[i], pass.Results[i].EmbedMs, 9);
        }
        Assert.Equal(45 + stage, pass.Results.Sum(r => r.BusyMs), 9);  // every measured millisecond is charged once
        Assert.Equal(new PassMeasure(45, 57, stage, 2L * 18 * n), pass.Measure);
    }

    [Fact]
    public void On_a_multi_exit_backend_rows_come_deepest_first_and_the_pass_is_charged_by_row_layers()
    {
        using var tiny = new TinyModel();
        var device = new ExitingModel(tiny);
        var n = tiny.Config.NLayer;
        BatchItem[] items = [new(Tokens(1, 10), 1, Pooling.Mean), new(Tokens(7, 10, 10), n, Pooling.Mean), new(Tokens(3, 5), 0, Pooling.Mean)];

        var pass = BatchRunner.Run(device, items, new double[items.Length]);

        Assert.Equal([new LayerExit(n, 0, 2), new LayerExit(1, 2, 1), new LayerExit(0, 3, 1)], device.LastExits);
        Assert.Equal(0, pass.Results[2].BusyMs);                                            // k = 0 ran no block
        Assert.Equal(2.0 * n, pass.Results[1].BusyMs / pass.Results[0].BusyMs, 9);           // 2 x 10 x N against 1 x 10 x 1 row-layers
        Assert.Equal(pass.Measure.LayersMs, pass.Results.Sum(r => r.BusyMs), 9);
        Assert.Equal((4L * 10 * 0) + (3L * 10 * 1) + (2L * 10 * (n - 1)), pass.Measure.LayerRows);
    }

    [Fact]
    public void Shares_add_up_to_the_time_and_are_equal_when_no_weight_is_given()
    {
        var busy = new double[3];
        BusyShares.Add(busy, [1, 3, 100], count: 2, ms: 8);
        Assert.Equal([2, 6, 0], busy);
        BusyShares.Add(busy, [0, 0, 0], count: 3, ms: 3);
        Assert.Equal([3, 7, 1], busy);
    }

    [Fact]
    public void Dropping_rows_keeps_the_prefix_and_refuses_to_cut_a_real_token()
    {
        var batch = TokenBatch.FromSequences([[1, 2, 3], [4, 5], [6, 7, 8]]);
        var data = Enumerable.Range(0, 3 * 3 * 2).Select(i => (float)i).ToArray();  // (3, 3, 2)
        var hidden = new HiddenState(batch, 2, data, 1);

        var kept = ActiveRows.Keep(new HiddenState(TokenBatch.FromSequences([[1, 2, 3], [4, 5]]), 2, data[..12], 1), 2, 3);
        Assert.Equal(data[..12], kept.Data);
        Assert.Throws<ArgumentException>(() => ActiveRows.Keep(hidden, 2, 2));               // sequence 0 has 3 real tokens
        var prefix = ActiveRows.Keep(new HiddenState(TokenBatch.FromSequences([[4, 5], [1], [6, 7, 8]]), 2, data[..18], 1), 2, 2);
        Assert.Equal((2, 2, 1), (prefix.Batch.BatchSize, prefix.Batch.SequenceLength, prefix.LayersDone));
        Assert.Equal([0f, 1, 2, 3, 6, 7, 8, 9], prefix.Data);                                 // (2, 2, 2) out of (3, 3, 2)
        Assert.Equal([1, 1, 1, 0], prefix.Batch.Mask.ToArray().Select(m => (int)m));
    }
}
