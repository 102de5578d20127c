using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>The gpt2-tiny fixture (tests/fixtures) on the CPU backend, counting the passes made through it.</summary>
internal sealed class TinyModel : ILayerRangeBackend
{
    private readonly Gpt2Weights _weights;
    private readonly CpuBackend _cpu;
    private int _embeds;

    public TinyModel()
    {
        _weights = Gpt2Weights.Load(RepositoryPaths.Fixture("gpt2-tiny"));
        _cpu = new CpuBackend(_weights, threads: 1);
    }

    /// <summary>Forward passes begun (calls to Embed).</summary>
    public int Embeds => Volatile.Read(ref _embeds);

    /// <summary>Blocks Embed until released, so tests can queue requests while a pass is "running".</summary>
    public ManualResetEventSlim Gate { get; } = new(initialState: true);

    public Func<Exception>? FailWith { get; set; }

    public string Name => "cpu";

    public Gpt2Config Config => _cpu.Config;

    public LayerStackShape Shape => _cpu.Shape;

    public HiddenState Embed(TokenBatch batch)
    {
        Interlocked.Increment(ref _embeds);
        Gate.Wait(TimeSpan.FromSeconds(30));
        if (FailWith is { } fail) throw fail();
        return _cpu.Embed(batch);
    }

    public void RunLayers(HiddenState hidden, int from, int to) => _cpu.RunLayers(hidden, from, to);

    public void ApplyFinalNorm(HiddenState hidden) => _cpu.ApplyFinalNorm(hidden);

    /// <summary>One request run alone, the reference a batched answer must match.</summary>
    public (HiddenState Hidden, float[][]? Embeddings) Alone(TokenBatch batch, int k, Pooling pooling)
    {
        var hidden = _cpu.Embed(batch);
        _cpu.RunLayers(hidden, 0, k);
        if (k < Config.NLayer) return (hidden, null);
        _cpu.ApplyFinalNorm(hidden);
        return (hidden, Pooler.Pool(hidden, pooling));
    }

    public void Dispose()
    {
        Gate.Set();
        _cpu.Dispose();
        _weights.Dispose();
        Gate.Dispose();
    }
}
