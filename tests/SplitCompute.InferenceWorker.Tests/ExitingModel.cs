using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>
/// <see cref="IMultiExitBackend"/> done the plain way on the CPU (embed, run to each exit, copy its rows), so the batch
/// runner's device path (one pass, rows handed out per exit) is tested without a GPU.
/// </summary>
internal sealed class ExitingModel(TinyModel model) : IMultiExitBackend
{
    public int Calls { get; private set; }

    /// <summary>The exits of the last call, as the batch runner ordered them.</summary>
    public IReadOnlyList<LayerExit> LastExits { get; private set; } = [];

    public string Name => "exits";

    public LayerStackShape Shape => model.Shape;

    public HiddenState Embed(TokenBatch batch) => throw new InvalidOperationException("the device path must not embed separately");

    public void RunLayers(HiddenState hidden, int from, int to) => throw new InvalidOperationException("the device path must not run ranges");

    public void ApplyFinalNorm(HiddenState hidden) => throw new InvalidOperationException("the device path must not norm separately");

    public float[][] RunToExits(TokenBatch batch, IReadOnlyList<LayerExit> exits)
    {
        Calls++;
        LastExits = [.. exits];
        var hidden = model.Embed(batch);
        var results = new float[exits.Count][];
        var c = model.Shape.Channels;
        foreach (var i in Enumerable.Range(0, exits.Count).OrderBy(i => exits[i].K))
        {
            model.RunLayers(hidden, hidden.LayersDone, exits[i].K);
            if (exits[i].K == model.Shape.Layers && hidden.LayersDone == model.Shape.Layers) model.ApplyFinalNorm(hidden);
            var rowLength = batch.SequenceLength * c;
            results[i] = hidden.Data.AsSpan(exits[i].FirstSequence * rowLength, exits[i].SequenceCount * rowLength).ToArray();
        }
        return results;
    }

    public void Dispose()
    {
    }
}
