using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>One pass for several requests must give each the answer it would get alone, at its own k.</summary>
public sealed class BatchRunnerTests
{
    [Fact]
    public void Each_request_gets_its_own_k_and_matches_running_alone()
    {
        using var model = new TinyModel();
        var n = model.Config.NLayer;
        BatchItem[] items =
        [
            new(TokenBatch.FromSequences([[.. Enumerable.Range(5, 17)], [.. Enumerable.Range(40, 4)]]), 2, Pooling.Mean),
            new(TokenBatch.FromSequences([[.. Enumerable.Range(7, 9)]]), n, Pooling.Last),
            new(TokenBatch.FromSequences([[.. Enumerable.Range(1, 30)]]), 0, Pooling.Mean),
            new(TokenBatch.FromSequences([[.. Enumerable.Range(300, 12)]]), 2, Pooling.Mean),
        ];

        var results = BatchRunner.Run(model, items, new double[items.Length]).Results;

        Assert.Equal(1, model.Embeds);
        for (var i = 0; i < items.Length; i++)
        {
            var (hidden, embeddings) = model.Alone(items[i].Batch, items[i].K, items[i].Pooling);
            var got = results[i];
            Assert.Equal(items[i].K, got.Hidden.LayersDone);
            Assert.Same(items[i].Batch, got.Hidden.Batch);
            Assert.Equal(hidden.Data.Length, got.Hidden.Data.Length);
            var max = Differences.MaxOnValid(got.Hidden, hidden);
            Assert.True(max <= 1e-5, $"request {i} (k = {items[i].K}): max |difference| from running alone {max:E3}");
            Assert.Equal(embeddings is null, got.Embeddings is null);
            if (embeddings is not null)
            {
                var pooled = embeddings.SelectMany(e => e).Zip(got.Embeddings!.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(pooled <= 1e-5, $"request {i}: pooled embeddings differ by {pooled:E3}");
            }
        }
    }

    [Fact]
    public void On_a_multi_exit_backend_one_call_serves_every_request_at_its_own_k()
    {
        using var model = new TinyModel();
        var device = new ExitingModel(model);
        var n = model.Config.NLayer;
        BatchItem[] items =
        [
            new(TokenBatch.FromSequences([[.. Enumerable.Range(5, 17)], [.. Enumerable.Range(40, 4)]]), n, Pooling.Mean),
            new(TokenBatch.FromSequences([[.. Enumerable.Range(7, 9)]]), 1, Pooling.Mean),
            new(TokenBatch.FromSequences([[.. Enumerable.Range(1, 30)]]), 3, Pooling.Last),
        ];

        var results = BatchRunner.Run(device, items, new double[items.Length]).Results;

        Assert.Equal(1, device.Calls);
        for (var i = 0; i < items.Length; i++)
        {
            var (hidden, embeddings) = model.Alone(items[i].Batch, items[i].K, items[i].Pooling);
            Assert.Equal(items[i].K, results[i].Hidden.LayersDone);
            var max = Differences.MaxOnValid(results[i].Hidden, hidden);
            Assert.True(max <= 1e-5, $"request {i} (k = {items[i].K}): max |difference| from running alone {max:E3}");
            Assert.Equal(embeddings is null, results[i].Embeddings is null);
        }
    }

    [Fact]
    public void Merging_keeps_every_row_and_its_mask_and_pads_to_the_longest()
    {
        var a = TokenBatch.FromSequences([[1, 2, 3], [4]]);
        var b = new TokenBatch(1, 2, [9, 8], [1, 0]);  // a hole in the mask survives merging
        var merged = BatchRunner.Merge([new(a, 1, Pooling.Mean), new(b, 1, Pooling.Mean)], out var offsets);

        Assert.Equal([0, 2], offsets);
        Assert.Equal(3, merged.BatchSize);
        Assert.Equal(3, merged.SequenceLength);
        Assert.Equal([1, 2, 3, 4, 0, 0, 9, 8, 0], merged.Ids.ToArray());
        Assert.Equal([1, 1, 1, 1, 0, 0, 1, 0, 0], merged.Mask.ToArray());
    }
}
