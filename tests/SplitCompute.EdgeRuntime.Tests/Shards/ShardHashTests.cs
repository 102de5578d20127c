using System.Security.Cryptography;
using SplitCompute.EdgeRuntime.Shards;

namespace SplitCompute.EdgeRuntime.Tests.Shards;

/// <summary>The shard hash over the file mapping equals SHA-256 of the bytes, at every block boundary; a mismatch is refused.</summary>
public sealed class ShardHashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitcompute-hash-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData((4 << 20) - 1)]
    [InlineData(4 << 20)]
    [InlineData((4 << 20) + 1)]
    [InlineData((9 << 20) + 77)]
    public void The_mapped_hash_equals_SHA256_of_the_bytes(int length)
    {
        var bytes = ShardServer.RandomBlob(length, seed: length);
        var path = Write(bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), ShardHash.OfFile(path));
    }

    [Fact]
    public void A_file_another_handle_holds_open_for_writing_is_hashed()
    {
        var bytes = ShardServer.RandomBlob(100_000, seed: 3);
        var path = Write(bytes);
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), ShardHash.OfFile(path));
    }

    [Fact]
    public void A_cancelled_hash_stops()
    {
        var path = Write(ShardServer.RandomBlob(5 << 20, seed: 4));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ShardHash.OfFile(path, cancelled.Token));
    }

    [Fact]
    public async Task A_file_whose_bytes_do_not_match_its_name_is_refused_and_one_that_does_is_accepted()
    {
        var bytes = ShardServer.RandomBlob(300_000, seed: 5);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var path = Write(bytes);
        var verifier = new ShardVerifier();
        Assert.True(await verifier.IsIntactAsync(path, sha256, bytes.Length, CancellationToken.None));

        bytes[150_000] ^= 0x40;  // one bit, same length
        var other = Write(bytes, "flipped");
        Assert.False(await new ShardVerifier().IsIntactAsync(other, sha256, bytes.Length, CancellationToken.None));
    }

    private string Write(byte[] bytes, string name = "shard")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
