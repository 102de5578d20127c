using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Caching;

namespace SplitCompute.Gateway.Feedback;

/// <summary>How a feedback's decision id resolved.</summary>
public enum DecisionClaim
{
    Claimed,
    Unknown,        // never issued, expired, dropped for room, or already reported
    OtherClient,    // issued, but to another client id: left for its owner
}

/// <summary>
/// Split decisions given to identified clients, waiting for their one feedback each (bounded, expiring). Claiming removes
/// the decision, so a client cannot weigh its profile with replays, and a decision can only be reported by the client id it
/// was issued to.
/// </summary>
public sealed class OutstandingDecisions(IOptions<FeedbackOptions> options, TimeProvider time)
{
    private readonly BoundedLru<string, IssuedDecision> _decisions = new(options.Value.MaxOutstandingDecisions);
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.Value.DecisionTtlSeconds);

    public int Count => _decisions.Count;

    public void Add(string decisionId, IssuedDecision decision) => _decisions.Set(decisionId, decision);

    public DecisionClaim Claim(string decisionId, string clientId, out IssuedDecision? decision)
    {
        decision = null;
        if (!_decisions.TryGet(decisionId, out var issued)) return DecisionClaim.Unknown;
        if (time.GetUtcNow() - issued.IssuedAt > _ttl)
        {
            _decisions.TryRemove(decisionId, out _);
            return DecisionClaim.Unknown;
        }
        if (issued.ClientId != clientId) return DecisionClaim.OtherClient;
        if (!_decisions.TryRemove(decisionId, out issued)) return DecisionClaim.Unknown;  // a concurrent duplicate won
        decision = issued;
        return DecisionClaim.Claimed;
    }
}
