using Microsoft.Extensions.Time.Testing;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>
/// The tiny model with a deterministic cost: each call moves a <see cref="FakeTimeProvider"/> by a fixed price per padded position
/// (embeddings) and per row and layer (blocks), and records the shape of every block range it ran, so the exit rule and the
/// attribution of busy time are tested on exact figures.
/// </summary>
internal sealed class MeteredModel(TinyModel model, FakeTimeProvider time, double embedMsPerPosition = 0.5, double msPerLayerRow = 1) : ILayerRangeBackend
{
    /// <summary>(B, T, from, to) of every RunLayers call, in order.</summary>
    public List<(int B, int T, int From, int To)> Ranges { get; } = [];

    public string Name => "cpu";

    public LayerStackShape Shape => model.Shape;

    public HiddenState Embed(TokenBatch batch)
    {
        time.Advance(TimeSpan.FromMilliseconds(embedMsPerPosition * batch.BatchSize * batch.SequenceLength));
        return model.Embed(batch);
    }

    public void RunLayers(HiddenState hidden, int from, int to)
    {
        Ranges.Add((hidden.Batch.BatchSize, hidden.Batch.SequenceLength, from, to));
        time.Advance(TimeSpan.FromMilliseconds(msPerLayerRow * hidden.Batch.BatchSize * hidden.Batch.SequenceLength * (to - from)));
        model.RunLayers(hidden, from, to);
    }

    public void ApplyFinalNorm(HiddenState hidden) => model.ApplyFinalNorm(hidden);

    public void Dispose()
    {
    }
}
