using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EdgeRuntime.Tests.Client;

/// <summary>The edge client's id file: made once, shared by everyone using the cache directory, repaired when damaged.</summary>
public sealed class EdgeClientIdTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitcompute-client-id-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Concurrent_first_runs_agree_on_one_id_that_later_runs_keep()
    {
        // Many rounds of 16 first runs released together: a check-then-create race shows within a few rounds.
        for (var round = 0; round < 40; round++)
        {
            var directory = Path.Combine(_directory, $"round-{round}");
            using var start = new Barrier(16);
            var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return EdgeClientId.LoadOrCreate(directory);
            }, TaskCreationOptions.LongRunning)));
            Assert.Single(ids.Distinct());
            Assert.True(ClientId.IsValid(ids[0]), ids[0]);
            Assert.Equal(ids[0], EdgeClientId.LoadOrCreate(directory));
            Assert.Single(Directory.EnumerateFiles(directory));  // no temporary or lock files left behind
        }
    }

    [Fact]
    public void A_damaged_id_file_is_replaced_with_a_valid_id()
    {
        File.WriteAllText(Path.Combine(_directory, EdgeClientId.FileName), "not an id\n");
        var id = EdgeClientId.LoadOrCreate(_directory);
        Assert.True(ClientId.IsValid(id), id);
        Assert.Equal(id, File.ReadAllText(Path.Combine(_directory, EdgeClientId.FileName)).Trim());
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_id_file_is_readable_by_its_owner_only_and_an_older_wider_file_is_narrowed()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var made = Path.Combine(_directory, "made");
        EdgeClientId.LoadOrCreate(made);
        var path = Path.Combine(made, EdgeClientId.FileName);
        Assert.Equal(ownerOnly, File.GetUnixFileMode(path));

        var older = Path.Combine(_directory, "older");
        Directory.CreateDirectory(older);
        var id = ClientId.New();
        File.WriteAllText(Path.Combine(older, EdgeClientId.FileName), id + "\n");
        File.SetUnixFileMode(Path.Combine(older, EdgeClientId.FileName), ownerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);  // 0644
        Assert.Equal(id, EdgeClientId.LoadOrCreate(older));
        Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(older, EdgeClientId.FileName)));
    }
}
