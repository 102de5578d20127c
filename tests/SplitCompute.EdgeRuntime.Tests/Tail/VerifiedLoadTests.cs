using SplitCompute.EdgeRuntime;
using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tests.Tail;

/// <summary>
/// Loading the tail while its shards are still being hashed: nothing is handed out (or run) before the check passes, and a
/// load whose check fails is disposed whole, including the backend the tail runner already had for that k.
/// </summary>
public sealed class VerifiedLoadTests : IDisposable
{
    private const int K = 1;
    private readonly string _directory = Directory.CreateTempSubdirectory("splitcompute-verified-").FullName;
    private readonly Gpt2Config _config = Gpt2Config.Preset("tiny") with { NLayer = 2, VocabSize = 64, NPositions = 16 };
    private readonly ShardIndex _index;
    private readonly string[] _paths;

    public VerifiedLoadTests()
    {
        var model = Path.Combine(_directory, "model");
        RandomModelWriter.Write(model, _config, seed: 3);
        _index = ShardBuilder.Build(model, Path.Combine(_directory, "shards"));
        var store = new ShardStore(Path.Combine(_directory, "shards"));
        _paths = [store.TryResolve(_index.Layer(K, "f32").Sha256)!, store.TryResolve(_index.FinalNorm("f32").Sha256)!];
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Nothing_is_handed_out_before_the_check_passes()
    {
        var check = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var built = new ManualResetEventSlim();
        var load = Task.Run(() => Load(w => { built.Set(); return new CpuBackend(w); }, check.Task));
        Assert.True(built.Wait(TimeSpan.FromSeconds(30)), "the backend was not built while the check ran");
        await Task.Delay(100);
        Assert.False(load.IsCompleted);  // loaded, but held back
        check.SetResult(true);
        var (weights, backend) = (await load)!.Value;
        Assert.Equal("cpu", backend.Name);
        backend.Dispose();
        weights.Dispose();
    }

    [Fact]
    public void A_failed_check_disposes_the_backend_and_the_weights_it_loaded()
    {
        Gpt2Weights? bound = null;
        Recording? backend = null;
        var result = Load(w => backend = new Recording(new CpuBackend(bound = w)), Task.FromResult(false));
        Assert.Null(result);
        Assert.True(backend!.Disposed);
        Assert.Throws<ObjectDisposedException>(() => bound!.Layer(K).FcWeight.Span.ToArray());
    }

    [Fact]
    public void A_load_that_throws_is_null_when_the_file_was_corrupt_and_rethrown_when_it_was_not()
    {
        ILayerRangeBackend Failing(Gpt2Weights _) => throw new InvalidOperationException("backend failed");
        Assert.Null(Load(Failing, Task.FromResult(false)));  // a corrupt file explains it: fetched again, not reported
        var e = Assert.Throws<InvalidOperationException>(() => Load(Failing, Task.FromResult(true)));
        Assert.Equal("backend failed", e.Message);
    }

    [Fact]
    public void A_check_that_could_not_read_the_file_propagates_after_the_load_is_disposed()
    {
        Recording? backend = null;
        var e = Assert.Throws<IOException>(() => Load(w => backend = new Recording(new CpuBackend(w)), Task.FromException<bool>(new IOException("shard vanished"))));
        Assert.Equal("shard vanished", e.Message);
        Assert.True(backend!.Disposed);
    }

    [Fact]
    public void The_tail_runner_runs_nothing_on_a_failed_check_and_drops_the_backend_it_had_for_that_k()
    {
        var built = 0;
        using var runner = new TailRunner(w => { built++; return new CpuBackend(w); });
        Assert.True(runner.TryRun(Frame(), _paths, Task.FromResult(true), out var first));
        Assert.Equal("cpu", runner.BackendName);

        Assert.False(runner.TryRun(Frame(), _paths, Task.FromResult(false), out var none));
        Assert.Null(none);
        Assert.Null(runner.BackendName);  // it may have read the files that failed (the CPU backend maps them)

        var again = runner.Run(Frame(), _paths);
        Assert.Equal(2, built);
        Assert.Equal(first.SelectMany(e => e), again.SelectMany(e => e));
    }

    [Fact]
    public void A_tail_whose_backend_fails_outside_the_code_is_an_edge_failure_and_its_backend_is_dropped()
    {
        using var runner = new TailRunner(w => new Recording(new CpuBackend(w)) { Fault = new OutOfMemoryException("no room for the activations") });

        var failure = Assert.Throws<EdgeFailureException>(() => runner.Run(Frame(), _paths));

        Assert.Equal(nameof(OutOfMemoryException), failure.Kind);
        Assert.Equal("no room for the activations", failure.Message);
        Assert.Null(runner.BackendName);  // the next tail starts on a fresh backend
    }

    [Fact]
    public void A_bug_in_the_tail_propagates_as_itself()
    {
        using var runner = new TailRunner(w => new Recording(new CpuBackend(w)) { Fault = new InvalidOperationException("layer range disagrees") });

        var bug = Assert.Throws<InvalidOperationException>(() => runner.Run(Frame(), _paths));

        Assert.Equal("layer range disagrees", bug.Message);
    }

    private (Gpt2Weights Weights, ILayerRangeBackend Backend)? Load(Func<Gpt2Weights, ILayerRangeBackend> create, Task<bool> verified) =>
        VerifiedLoad.Load("test shards", _paths, _config, K.., finalNorm: true, create, verified);

    /// <summary>A fresh frame each time: the tail runs in place on its data.</summary>
    private HiddenStateFrame Frame()
    {
        const int t = 3;
        var random = new Random(9);
        var data = Enumerable.Range(0, t * _config.NEmbd).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var manifest = InferenceWorker.Execution.ShardManifests.Build("tiny", _config, _index, "f32").Slice(K, _config.NLayer);
        return HiddenStateFrame.Hidden("tiny", _index.Revision, K, _config.NLayer, 1, t, _config.NEmbd, [t], data, manifest);
    }

    /// <summary>A backend that remembers being disposed, and throws <see cref="Fault"/> from its layers when one is set.</summary>
    private sealed class Recording(ILayerRangeBackend inner) : ILayerRangeBackend
    {
        public bool Disposed { get; private set; }

        public Exception? Fault { get; init; }

        public string Name => inner.Name;

        public LayerStackShape Shape => inner.Shape;

        public HiddenState Embed(TokenBatch batch) => inner.Embed(batch);

        public void RunLayers(HiddenState hidden, int from, int to)
        {
            if (Fault is not null) throw Fault;
            inner.RunLayers(hidden, from, to);
        }

        public void ApplyFinalNorm(HiddenState hidden) => inner.ApplyFinalNorm(hidden);

        public void Dispose()
        {
            Disposed = true;
            inner.Dispose();
        }
    }
}
