using Microsoft.AspNetCore.Http;
using SplitCompute.Gateway.Forwarding;
using SplitCompute.Protocol;

namespace SplitCompute.Gateway.Tests;

public sealed class CapabilityProfileCacheTests
{
    private static HttpRequest Request(string perf, string shards = "0123456789abcdef")
    {
        var context = new DefaultHttpContext();
        var headers = context.Request.Headers;
        headers[HeaderNames.Version] = "1";
        headers[HeaderNames.Adapter] = "vendor=\"nvidia\"; architecture=\"ada\"; device=\"RTX 4070\"; backend=\"vulkan\"";
        headers[HeaderNames.Perf] = perf;
        headers[HeaderNames.Network] = "downlink-mbps=200, rtt-ms=18";
        headers[HeaderNames.Shards] = shards;
        return context.Request;
    }

    [Fact]
    public void Identical_headers_are_parsed_once()
    {
        var cache = new CapabilityProfileCache();
        var first = cache.Read(Request("gflops=850, upload-gbps=16"), acceptsFrame: true);
        var second = cache.Read(Request("gflops=850, upload-gbps=16"), acceptsFrame: true);
        Assert.Same(first, second);
        Assert.Equal(850, first.Client!.Gflops);
        Assert.Equal(2, first.Client.UploadGBps);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Resident_shards_and_power_reach_the_planner_and_are_part_of_the_cache_key()
    {
        var cache = new CapabilityProfileCache();
        var plain = cache.Read(Request("gflops=850"), acceptsFrame: true);
        var request = Request("gflops=850");
        request.Headers[HeaderNames.Resident] = "0123456789abcdef";
        request.Headers[HeaderNames.Power] = "source=battery; prefer=energy";
        var resident = cache.Read(request, acceptsFrame: true);
        Assert.Empty(plain.Client!.ResidentShards);
        Assert.Null(plain.Client.Energy);
        Assert.Contains("0123456789abcdef", resident.Client!.ResidentShards);
        Assert.Equal(new Planning.ClientEnergy(OnBattery: true, SaveEnergy: true), resident.Client.Energy);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Any_changed_header_value_is_parsed_afresh()
    {
        var cache = new CapabilityProfileCache();
        var slow = cache.Read(Request("gflops=850, upload-gbps=16"), acceptsFrame: true);
        var fast = cache.Read(Request("gflops=900, upload-gbps=16"), acceptsFrame: true);
        var moreShards = cache.Read(Request("gflops=850, upload-gbps=16", "0123456789abcdef,fedcba9876543210"), acceptsFrame: true);
        Assert.Equal(900, fast.Client!.Gflops);
        Assert.Equal(2, moreShards.Client!.HeldShards.Count);
        Assert.Single(slow.Client!.HeldShards);
        Assert.Equal(850, cache.Read(Request("gflops=850, upload-gbps=16"), acceptsFrame: true).Client!.Gflops);
    }

    [Fact]
    public void Warnings_of_a_malformed_header_come_back_on_every_cached_use()
    {
        var cache = new CapabilityProfileCache();
        cache.Read(Request("gflops=-5"), acceptsFrame: true);
        var again = cache.Read(Request("gflops=-5"), acceptsFrame: true);
        Assert.Null(again.Client);
        Assert.Contains(again.Warnings, w => w.Contains("gflops", StringComparison.Ordinal));
    }

    [Fact]
    public void A_json_only_request_is_not_parsed_and_gets_the_ignored_warning()
    {
        var cache = new CapabilityProfileCache();
        var profile = cache.Read(Request("gflops=850"), acceptsFrame: false);
        Assert.Same(ClientCapabilityProfile.Ignored, profile);
        Assert.Equal(0, cache.Count);
        Assert.Same(ClientCapabilityProfile.None, cache.Read(new DefaultHttpContext().Request, acceptsFrame: false));
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        var cache = new CapabilityProfileCache();
        for (var i = 0; i < CapabilityProfileCache.Capacity + 100; i++) cache.Read(Request($"gflops={i + 1}"), acceptsFrame: true);
        Assert.InRange(cache.Count, 1, CapabilityProfileCache.Capacity);
    }
}
