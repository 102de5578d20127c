using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Runs embeddings and layers [0, k) for one batch, at most Capacity at once (the rest wait in FIFO order), and feeds the
/// measured times into <see cref="WorkerStats"/>.
/// </summary>
public sealed class HeadExecutor(ModelHost model, WorkerStats stats, IOptions<WorkerOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.Capacity, options.Value.Capacity);

    public async Task<HeadResult> RunAsync(TokenBatch batch, int k, Pooling pooling, CancellationToken cancellationToken)
    {
        var n = model.Config.NLayer;
        var queueClock = Stopwatch.StartNew();
        stats.Enqueued();
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            stats.Abandoned();
            throw;
        }
        stats.Started();
        var queueMs = queueClock.Elapsed.TotalMilliseconds;
        try
        {
            var result = await Task.Run(() =>
            {
                var clock = Stopwatch.StartNew();
                var hidden = model.Backend.Embed(batch);
                var embedMs = clock.Elapsed.TotalMilliseconds;
                model.Backend.RunLayers(hidden, 0, k);
                var layersMs = clock.Elapsed.TotalMilliseconds - embedMs;
                float[][]? embeddings = null;
                if (k == n)
                {
                    model.Backend.ApplyFinalNorm(hidden);
                    embeddings = Pooler.Pool(hidden, pooling);
                }
                var totalMs = clock.Elapsed.TotalMilliseconds;
                var tokens = Enumerable.Range(0, batch.BatchSize).Sum(batch.ValidCount);
                stats.Finished(tokens, batch.BatchSize * batch.SequenceLength, k, embedMs, layersMs, totalMs);
                return new HeadResult(hidden, embeddings, queueMs, totalMs);
            }, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch
        {
            stats.Failed();
            throw;
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
