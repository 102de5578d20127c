using SplitCompute.InferenceWorker.Execution.Batching;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>The order waiting requests are offered to a pass: round-robin across tenants, least recently served first.</summary>
public sealed class FairOrderTests
{
    private static readonly Dictionary<string, long> NeverServed = [];

    [Fact]
    public void One_tenant_keeps_arrival_order()
    {
        Assert.Equal([0, 1, 2], FairOrder.Of(["a", "a", "a"], NeverServed));
    }

    [Fact]
    public void Tenants_take_turns_one_request_each_in_order_of_their_oldest_request()
    {
        // a's five came first; b's and c's one each must not wait behind all of them.
        string[] tenants = ["a", "a", "a", "b", "a", "c", "a", "b"];
        Assert.Equal([0, 3, 5, 1, 7, 2, 4, 6], FairOrder.Of(tenants, NeverServed));
    }

    [Fact]
    public void The_tenant_served_last_goes_after_the_others()
    {
        string[] tenants = ["a", "a", "b"];
        Assert.Equal([2, 0, 1], FairOrder.Of(tenants, new Dictionary<string, long> { ["a"] = 7 }));
        Assert.Equal([0, 2, 1], FairOrder.Of(tenants, new Dictionary<string, long> { ["a"] = 3, ["b"] = 7 }));
    }
}
