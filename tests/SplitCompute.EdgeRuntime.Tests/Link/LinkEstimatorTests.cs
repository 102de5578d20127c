using SplitCompute.EdgeRuntime.Link;

namespace SplitCompute.EdgeRuntime.Tests.Link;

/// <summary>The measured link: what is advertised before and after samples, what is ignored, and the file shared by processes.</summary>
public sealed class LinkEstimatorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"link-{Guid.NewGuid():N}");

    [Fact]
    public void Nothing_is_advertised_before_any_measurement()
    {
        Assert.Null(new LinkEstimator(_directory).Advertised());
    }

    [Fact]
    public void An_rtt_alone_gives_the_documented_conservative_downlink()
    {
        var link = new LinkEstimator(_directory);
        link.ObserveRtt(20);
        var advertised = link.Advertised()!;
        Assert.Equal(20, advertised.RttMs);
        Assert.Equal(Math.Round(64 * 1024 * 8 / 0.020 / 1e6, 3), advertised.DownlinkMbps);  // 26.214 Mbit/s
        Assert.Equal(1_000, LinkEstimator.ConservativeDownlinkMbps(0.01));
        Assert.Equal(1, LinkEstimator.ConservativeDownlinkMbps(60_000));
    }

    [Fact]
    public void Transfers_under_256_KiB_are_ignored_and_larger_ones_average()
    {
        var link = new LinkEstimator(_directory);
        Assert.False(link.ObserveTransfer(100_000, 1));
        Assert.Null(link.Profile.DownlinkMbps);
        Assert.True(link.ObserveTransfer(1_000_000, 8));   // 1000 Mbit/s
        Assert.True(link.ObserveTransfer(1_000_000, 80));  // 100 Mbit/s
        Assert.Equal(1000 + 0.3 * (100 - 1000), link.Profile.DownlinkMbps!.Value, 6);
        Assert.Equal(2, link.Profile.DownlinkSamples);
    }

    [Fact]
    public void A_request_gives_an_rtt_only_when_the_worker_said_how_long_it_took()
    {
        var link = new LinkEstimator(_directory);
        link.ObserveRequest(50, workerTotalMs: null);
        Assert.Null(link.Profile.RttMs);
        link.ObserveRequest(50, workerTotalMs: 47.5);
        Assert.Equal(2.5, link.Profile.RttMs);
    }

    [Fact]
    public void Processes_sharing_the_cache_share_and_merge_the_measurements()
    {
        var one = new LinkEstimator(_directory);
        var two = new LinkEstimator(_directory);
        one.ObserveRtt(10);
        two.ObserveRtt(20);  // reads one's sample from the file before averaging
        Assert.Equal(10 + 0.3 * (20 - 10), two.Profile.RttMs!.Value, 6);
        Assert.Equal(2, new LinkEstimator(_directory).Profile.RttSamples);

        Parallel.For(0, 8, i => new LinkEstimator(_directory).ObserveTransfer(1 << 20, 10));
        Assert.Equal(8, new LinkEstimator(_directory).Profile.DownlinkSamples);  // none lost to a concurrent writer
    }

    [Fact]
    public void A_damaged_file_counts_as_no_measurement()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, LinkProfileFile.FileName), "{not json");
        var link = new LinkEstimator(_directory);
        Assert.Equal(LinkProfile.Empty, link.Profile);
        link.ObserveRtt(3);
        Assert.Equal(3, new LinkEstimator(_directory).Profile.RttMs);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
