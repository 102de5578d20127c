using SplitCompute.Protocol.Cluster;

namespace SplitCompute.Protocol.Tests.Cluster;

public sealed class ClusterSecretTests
{
    private static readonly ClusterSecret Ours = new("ours-0123456789abcdefghijklmnopqrstuvwxyz");
    private static readonly ClusterSecret Theirs = new("theirs-0123456789abcdefghijklmnopqrstuvwxyz");

    [Fact]
    public void A_sealed_value_opens_under_its_key_with_the_same_secret_only()
    {
        var sealedValue = Ours.Seal("splitcompute:worker:w1", "{\"worker_id\":\"w1\"}");
        Assert.True(Ours.TryOpen("splitcompute:worker:w1", sealedValue, out var payload));
        Assert.Equal("{\"worker_id\":\"w1\"}", payload);
        Assert.False(Ours.TryOpen("splitcompute:worker:w2", sealedValue, out _));    // moved to another key
        Assert.False(Theirs.TryOpen("splitcompute:worker:w1", sealedValue, out _));  // another cluster's secret
        Assert.False(Ours.TryOpen("splitcompute:worker:w1", sealedValue.Replace("w1\"}", "w9\"}", StringComparison.Ordinal), out _));  // altered
    }

    [Fact]
    public void With_a_secret_plain_and_malformed_values_are_refused_without_one_they_pass()
    {
        Assert.False(Ours.TryOpen("k", "{\"worker_id\":\"rogue\"}", out _));
        Assert.False(Ours.TryOpen("k", "sealed1.no-dot-after-the-mac", out _));
        Assert.False(Ours.TryOpen("k", null, out _));
        Assert.True(ClusterSecret.None.TryOpen("k", "{}", out var plain));
        Assert.Equal("{}", plain);
        Assert.Equal("{}", ClusterSecret.None.Seal("k", "{}"));
    }

    [Fact]
    public void The_request_token_is_derived_and_checked_in_constant_time_and_short_secrets_are_refused()
    {
        Assert.DoesNotContain("ours", Ours.RequestToken, StringComparison.Ordinal);
        Assert.True(Ours.IsRequestToken(Ours.RequestToken));
        Assert.False(Ours.IsRequestToken(Theirs.RequestToken));
        Assert.False(Ours.IsRequestToken(null));
        Assert.True(ClusterSecret.None.IsRequestToken(null));
        var ex = Assert.Throws<ArgumentException>(() => new ClusterSecret("short"));
        Assert.Contains("at least 32", ex.Message, StringComparison.Ordinal);
    }
}
