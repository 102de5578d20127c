using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Runs embeddings and layers [0, k) for one batch and feeds the measured times into <see cref="WorkerStats"/>. With
/// Worker:Batching (the default) requests go through the <see cref="RequestBatcher"/>, which coalesces those waiting into one
/// pass; without it each request is its own pass, at most Capacity at once (the rest wait in FIFO order).
/// </summary>
public sealed class HeadExecutor : IDisposable
{
    private readonly ModelHost model;
    private readonly WorkerStats stats;
    private readonly SemaphoreSlim _slots;
    private readonly RequestBatcher? _batcher;

    public HeadExecutor(ModelHost model, WorkerStats stats, IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.model = model;
        this.stats = stats;
        var o = options.Value;
        _slots = new SemaphoreSlim(o.Capacity, o.Capacity);
        if (o.Batching)
        {
            _batcher = new RequestBatcher(model.Backend, stats, TimeSpan.FromMilliseconds(o.BatchWindowMs), o.BatchMaxTokens, TimeProvider.System);
            _batcher.Start();
        }
    }

    /// <summary>Forward passes the batcher ran (null without batching).</summary>
    public int? BatchedPasses => _batcher?.Passes;

    /// <summary>Requests the batcher dropped because their callers went away (null without batching).</summary>
    public int? CancelledRequests => _batcher?.Cancelled;

    public Task<HeadResult> RunAsync(TokenBatch batch, int k, Pooling pooling, CancellationToken cancellationToken) =>
        RunAsync(batch, k, pooling, "", cancellationToken);

    /// <summary>Runs one request of <paramref name="tenant"/>, a fairness label the batcher shares passes by (see <see cref="FairOrder"/>).</summary>
    public async Task<HeadResult> RunAsync(TokenBatch batch, int k, Pooling pooling, string tenant, CancellationToken cancellationToken)
    {
        if (k == 0 && model.EmbedsOnHost) return EmbedOnHost(batch);
        if (_batcher is not null) return await _batcher.SubmitAsync(batch, k, pooling, tenant, cancellationToken).ConfigureAwait(false);
        var n = model.Shape.Layers;
        var work = RequestWork.Of(batch, k);
        var queueClock = Stopwatch.StartNew();
        stats.Enqueued(work);
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            stats.Abandoned(work);
            throw;
        }
        stats.Started(work);
        var queueMs = queueClock.Elapsed.TotalMilliseconds;
        var pass = stats.PassStarted(stats.PredictMs(work));
        PassMeasure? measure = null;
        try
        {
            return await Task.Run(() =>
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
                measure = new PassMeasure(embedMs, work.Tokens, layersMs, work.LayerRows);
                // Alone in its pass: all of the pass is this request's.
                return new HeadResult(hidden, embeddings, queueMs, totalMs)
                {
                    BusyMs = totalMs, EmbedMs = embedMs, FullMs = stats.FullMs(embedMs, work.Rows, n),
                };
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stats.PassEnded(pass, measure);
            stats.Finished();
            _slots.Release();
        }
    }

    /// <summary>
    /// k = 0 needs only the embedding tables, which the host holds: answered at once, never queued behind the device's passes
    /// (the heartbeat says so, embeds_outside_queue, and the planner predicts no wait for it), so a client that takes every layer
    /// does not wait for a busy GPU it does not use. Costs the device nothing; the host time is this request's.
    /// </summary>
    private HeadResult EmbedOnHost(TokenBatch batch)
    {
        var clock = Stopwatch.StartNew();
        var hidden = model.EmbedOnHost(batch);
        var ms = clock.Elapsed.TotalMilliseconds;
        var work = RequestWork.Of(batch, 0);
        return new HeadResult(hidden, null, 0, ms)
        {
            BusyMs = ms, EmbedMs = ms, FullMs = stats.FullMs(work.Tokens * stats.EmbedMsPerToken, work.Rows, model.Shape.Layers),
        };
    }

    /// <summary>
    /// Times a 64-token forward pass through every layer (best of three, the first also warms the mapped weights) so the first
    /// heartbeat already carries this machine's real speed and the planner never plans with a guess.
    /// </summary>
    public void Calibrate()
    {
        var n = model.Shape.Layers;
        var t = Math.Min(64, model.MaxTokens);
        var batch = TokenBatch.FromSequences([Enumerable.Range(0, t).Select(i => i % model.Shape.VocabSize).ToArray()]);
        var (embedMs, layersMs) = (double.MaxValue, double.MaxValue);
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            var hidden = model.Backend.Embed(batch);
            embedMs = Math.Min(embedMs, clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            model.Backend.RunLayers(hidden, 0, n);
            layersMs = Math.Min(layersMs, clock.Elapsed.TotalMilliseconds);
        }
        stats.Calibrated(layersMs / (n * (double)t), embedMs / t);
    }

    public void Dispose()
    {
        _batcher?.Dispose();
        _slots.Dispose();
    }
}
