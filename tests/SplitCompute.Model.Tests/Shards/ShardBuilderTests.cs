using System.Security.Cryptography;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Model.Shards;
using SplitCompute.Model.Tests.Cpu;

namespace SplitCompute.Model.Tests.Shards;

public sealed class ShardBuilderTests
{
    [Fact]
    public void Every_shard_is_stored_under_its_own_sha256_and_indexed()
    {
        using var temp = new TempDirectory();
        var index = ShardBuilder.Build(RepositoryPaths.Fixture("gpt2-tiny"), temp.Path);
        var store = new ShardStore(temp.Path);

        Assert.Equal(2 * (4 + 1), index.Shards.Length);
        Assert.Equal(16, index.Revision.Length);
        foreach (var shard in index.Shards)
        {
            var path = store.TryResolve(shard.Sha256);
            Assert.NotNull(path);
            Assert.Equal(shard.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
            Assert.Equal(shard.Bytes, new FileInfo(path).Length);
        }
        Assert.Equal(Gpt2TensorNames.LayerSuffixes.Select(s => $"h.2.{s}"), index.Layer(2, "f16").Tensors);
        var loaded = ShardIndex.TryLoad(Path.Combine(temp.Path, ShardIndex.FileName));
        Assert.NotNull(loaded);
        Assert.Equal(index.Revision, loaded.Revision);
        Assert.Equal(index.Shards.Select(s => (s.Kind, s.Layer, s.DType, s.Sha256, s.Bytes)), loaded.Shards.Select(s => (s.Kind, s.Layer, s.DType, s.Sha256, s.Bytes)));
    }

    [Theory]
    [InlineData("f32", 1e-4)]
    [InlineData("f16", 2e-2)]  // f16 weights: 11-bit mantissa, relative error ~5e-4 per weight, compounded over layers
    public void The_tail_run_from_shards_matches_the_reference(string dtype, double tolerance)
    {
        using var temp = new TempDirectory();
        using var reference = HuggingFaceReference.Fixture("gpt2-mini");
        var index = ShardBuilder.Build(reference.ModelDirectory, temp.Path);
        var store = new ShardStore(temp.Path);
        var config = Gpt2Config.Load(reference.ModelDirectory);
        const int k = 2;

        using var cloudWeights = Gpt2Weights.Bind(Checkpoint.Open(reference.ModelDirectory), config, ..k, embeddings: true, finalNorm: false);
        var tailFiles = Enumerable.Range(k, config.NLayer - k).Select(l => index.Layer(l, dtype)).Append(index.FinalNorm(dtype))
            .Select(s => store.TryResolve(s.Sha256)!);
        using var edgeWeights = Gpt2Weights.Bind(Checkpoint.OpenFiles("edge cache", tailFiles), config, k.., embeddings: false, finalNorm: true);
        using var cloud = new CpuBackend(cloudWeights);
        using var edge = new CpuBackend(edgeWeights);

        var (pooled, _) = SplitEmbedder.Embed(cloud, edge, reference.Batch, k, Pooling.Mean);
        var max = pooled.SelectMany(e => e).Zip(reference.Tensor("mean_pooled")).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= tolerance, $"{dtype} shards: max |difference| {max:E3} > {tolerance:E0}");
    }

    [Fact]
    public void Shards_are_made_once_per_revision_and_again_when_the_weights_change()
    {
        using var model = new TempDirectory();
        using var shards = new TempDirectory();
        foreach (var file in Directory.GetFiles(RepositoryPaths.Fixture("gpt2-tiny"))) File.Copy(file, Path.Combine(model.Path, Path.GetFileName(file)));

        var first = ShardBuilder.EnsureShards(model.Path, shards.Path);
        var indexTime = File.GetLastWriteTimeUtc(Path.Combine(shards.Path, ShardIndex.FileName));
        var again = ShardBuilder.EnsureShards(model.Path, shards.Path);
        Assert.Equal(first.Revision, again.Revision);
        Assert.Equal(indexTime, File.GetLastWriteTimeUtc(Path.Combine(shards.Path, ShardIndex.FileName)));

        // New weights (another seed) under the same directory: a new revision and new hashes.
        Model.Init.RandomModelWriter.Write(model.Path, Gpt2Config.Load(model.Path), seed: 99);
        var rebuilt = ShardBuilder.EnsureShards(model.Path, shards.Path);
        Assert.NotEqual(first.Revision, rebuilt.Revision);
        Assert.NotEqual(first.Layer(0, "f32").Sha256, rebuilt.Layer(0, "f32").Sha256);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/")]
    public void The_store_never_resolves_a_malformed_hash(string? name)
    {
        using var temp = new TempDirectory();
        Assert.Null(new ShardStore(temp.Path).TryResolve(name));
    }
}
