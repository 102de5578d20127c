using System.Net;
using Microsoft.AspNetCore.Connections;
using SplitCompute.Gateway.Connections;

namespace SplitCompute.Gateway.Tests.Connections;

public sealed class ConnectionLimitTests
{
    [Theory]
    [InlineData(10_000, 20_000L, 1_024, 10_000)]   // the configured cap fits under the descriptors
    [InlineData(10_000, 4_096L, 1_024, 3_072)]     // a low descriptor limit lowers it, keeping the reserve
    [InlineData(10_000, 512L, 1_024, 1)]           // never below one
    [InlineData(10_000, null, 1_024, 10_000)]      // unknown limit (not Linux): as configured
    public void The_cap_stays_below_the_descriptor_limit(int configured, long? descriptors, int reserve, int expected) =>
        Assert.Equal(expected, DescriptorLimit.ConnectionCap(configured, descriptors, reserve));

    [Fact]
    public void This_process_has_a_readable_descriptor_limit_where_the_product_runs()
    {
        // The product runs on Linux (CI and the images): there the limit must be readable, else the cap would go unchecked.
        if (OperatingSystem.IsLinux()) Assert.True(DescriptorLimit.Current() is > 0);
        else Assert.Null(DescriptorLimit.Current());
    }

    [Fact]
    public async Task Connections_over_the_per_address_limit_are_aborted_before_the_application_sees_them_and_slots_free_on_close()
    {
        var reached = 0;
        var release = new TaskCompletionSource();
        var limit = new PerIpConnectionLimit(2);
        var pipeline = limit.Apply(async _ =>
        {
            Interlocked.Increment(ref reached);
            await release.Task;
        });
        var a = IPAddress.Parse("10.0.0.1");
        var b = IPAddress.Parse("10.0.0.2");
        var open = new[] { Connection(a), Connection(a), Connection(b) }.Select(c => pipeline(c)).ToList();
        var refused = Connection(a);
        await pipeline(refused);  // returns at once: aborted
        Assert.True(refused.Aborted);
        Assert.Equal(3, Volatile.Read(ref reached));
        Assert.Equal(2, limit.OpenFrom(a));

        release.SetResult();
        await Task.WhenAll(open);
        Assert.Equal(0, limit.OpenFrom(a));
        Assert.Equal(0, limit.OpenFrom(b));
        var again = Connection(a);
        await pipeline(again);
        Assert.False(again.Aborted);
    }

    private static TestConnection Connection(IPAddress address) => new() { RemoteEndPoint = new IPEndPoint(address, 40_000) };

    private sealed class TestConnection : DefaultConnectionContext
    {
        public bool Aborted { get; private set; }

        public override void Abort(ConnectionAbortedException abortReason) => Aborted = true;
    }
}
