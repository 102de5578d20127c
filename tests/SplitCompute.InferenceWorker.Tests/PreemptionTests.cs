using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>
/// Issue 21: one tenant's large pass must not hold up another tenant's small request. On a host-memory backend the small one
/// runs between two layers of the large pass, with the same answer as alone; a request of the pass's own tenant waits.
/// </summary>
public sealed class PreemptionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The tiny model, holding the large pass (3 sequences) before its second layer until <see cref="Release"/> is set.</summary>
    private sealed class HeldAtLayerOne(TinyModel model) : ILayerRangeBackend
    {
        public ManualResetEventSlim Release { get; } = new(initialState: false);

        public string Name => "cpu";

        public LayerStackShape Shape => model.Shape;

        public HiddenState Embed(TokenBatch batch) => model.Embed(batch);

        public void RunLayers(HiddenState hidden, int from, int to)
        {
            if (hidden.Batch.BatchSize == 3 && from == 1) Release.Wait(Patience);
            model.RunLayers(hidden, from, to);
        }

        public void ApplyFinalNorm(HiddenState hidden) => model.ApplyFinalNorm(hidden);

        public void Dispose() => Release.Dispose();
    }

    private static TokenBatch Large() => TokenBatch.FromSequences([[.. Enumerable.Range(100, 60)], [.. Enumerable.Range(300, 60)], [.. Enumerable.Range(700, 60)]]);

    private static TokenBatch Small() => TokenBatch.FromSequences([[154, 995, 11]]);

    private static async Task<(Task<HeadResult> Large, Task<HeadResult> Small, RequestBatcher Batcher, HeldAtLayerOne Backend)> StartAsync(
        TinyModel model, string smallTenant, CancellationToken aborted)
    {
        var backend = new HeldAtLayerOne(model);
        var batcher = new RequestBatcher(backend, new WorkerStats(), TimeSpan.Zero, maxTokens: 4096, TimeProvider.System);
        batcher.Start();
        model.Gate.Reset();  // the large pass waits in Embed until the small request is queued
        var large = batcher.SubmitAsync(Large(), 4, Pooling.Mean, "tenant-a", aborted);
        Assert.True(SpinWait.SpinUntil(() => model.Embeds == 1, Patience), "the large pass never started");
        var small = batcher.SubmitAsync(Small(), 4, Pooling.Mean, smallTenant, aborted);
        model.Gate.Set();
        await Task.Yield();
        return (large, small, batcher, backend);
    }

    [Fact]
    public async Task Another_tenants_small_request_runs_between_two_layers_of_a_large_pass_with_the_answer_it_gets_alone()
    {
        using var model = new TinyModel();
        using var callers = new CancellationTokenSource();  // real requests can go away: passes run layer by layer
        var (large, small, batcher, backend) = await StartAsync(model, "tenant-b", callers.Token);
        using (batcher)
        using (backend)
        {
            var answer = await small.WaitAsync(Patience);   // while the large pass is held before its second layer
            Assert.False(large.IsCompleted, "the large pass finished first: the small request waited for it");
            Assert.Equal(1, batcher.Preempted);
            backend.Release.Set();
            var largeAnswer = await large.WaitAsync(Patience);
            Assert.Equal(2, batcher.Passes);
            var (alone, pooled) = model.Alone(Small(), 4, Pooling.Mean);
            Assert.True(alone.Data.Zip(answer.Hidden.Data).All(p => Math.Abs(p.First - p.Second) <= 1e-5), "the preempting request's answer differs from alone");
            Assert.True(pooled![0].Zip(answer.Embeddings![0]).All(p => Math.Abs(p.First - p.Second) <= 1e-5));
            var (largeAlone, _) = model.Alone(Large(), 4, Pooling.Mean);
            Assert.True(largeAlone.Data.Zip(largeAnswer.Hidden.Data).All(p => Math.Abs(p.First - p.Second) <= 1e-5), "the preempted pass's answer changed");
        }
    }

    [Fact]
    public async Task A_request_of_the_running_tenant_waits_for_its_pass()
    {
        using var model = new TinyModel();
        using var callers = new CancellationTokenSource();
        var (large, small, batcher, backend) = await StartAsync(model, "tenant-a", callers.Token);
        using (batcher)
        using (backend)
        {
            Assert.True(SpinWait.SpinUntil(() => model.Embeds == 1 && !small.IsCompleted, TimeSpan.FromMilliseconds(200)));
            backend.Release.Set();
            await Task.WhenAll(large, small).WaitAsync(Patience);
            Assert.Equal(0, batcher.Preempted);
            Assert.Equal(2, batcher.Passes);
        }
    }
}
