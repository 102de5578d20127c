using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>A decision can be reported once, by the client it was issued to, before it expires; the store stays bounded.</summary>
public sealed class OutstandingDecisionsTests
{
    private readonly FakeTimeProvider _time = new();

    private OutstandingDecisions Decisions(int capacity = 100, int ttlSeconds = 60) =>
        new(Options.Create(new FeedbackOptions { MaxOutstandingDecisions = capacity, DecisionTtlSeconds = ttlSeconds }), _time);

    private IssuedDecision Issued(string client) => new(client, "gpt2", 3, 12, 768, new PlanRequest(1, 8, 8), _time.GetUtcNow());

    [Fact]
    public void A_decision_is_claimed_once_by_its_own_client()
    {
        var decisions = Decisions();
        decisions.Add("d1", Issued("alice"));

        Assert.Equal(DecisionClaim.OtherClient, decisions.Claim("d1", "mallory", out var stolen));
        Assert.Null(stolen);
        Assert.Equal(DecisionClaim.Claimed, decisions.Claim("d1", "alice", out var mine));
        Assert.Equal("alice", mine!.ClientId);
        Assert.Equal(DecisionClaim.Unknown, decisions.Claim("d1", "alice", out _));
        Assert.Equal(DecisionClaim.Unknown, decisions.Claim("never-issued", "alice", out _));
    }

    [Fact]
    public void An_expired_decision_is_unknown()
    {
        var decisions = Decisions(ttlSeconds: 60);
        decisions.Add("d1", Issued("alice"));
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(DecisionClaim.Unknown, decisions.Claim("d1", "alice", out _));
        Assert.Equal(0, decisions.Count);
    }

    [Fact]
    public void The_oldest_decisions_make_room_beyond_the_bound()
    {
        var decisions = Decisions(capacity: 3);
        for (var i = 0; i < 5; i++) decisions.Add($"d{i}", Issued("alice"));
        Assert.Equal(3, decisions.Count);
        Assert.Equal(DecisionClaim.Unknown, decisions.Claim("d1", "alice", out _));
        Assert.Equal(DecisionClaim.Claimed, decisions.Claim("d4", "alice", out _));
    }
}
