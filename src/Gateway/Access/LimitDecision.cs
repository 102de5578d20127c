namespace SplitCompute.Gateway.Access;

/// <summary>
/// Whether a request may run under its key's limits. Allowed: dispose <see cref="Lease"/> when the request ends (it frees the
/// concurrency slot). Refused: answer 429 with <see cref="RetryAfterSeconds"/> (none when 0: the request can never fit) and <see cref="Reason"/>.
/// </summary>
public sealed record LimitDecision(bool Allowed, string? Reason, int RetryAfterSeconds, IAsyncDisposable Lease)
{
    public static LimitDecision Allow(IAsyncDisposable lease) => new(true, null, 0, lease);

    public static LimitDecision Refuse(string kind, string reason, int retryAfterSeconds) => new(false, reason, retryAfterSeconds, NoLease.Instance) { Kind = kind };

    /// <summary>Which limit refused: "rate", "concurrency", "tokens_per_minute" or "tokens_in_flight" (a metric tag); null when allowed.</summary>
    public string? Kind { get; init; }

    /// <summary>Where the limits were enforced: "redis" (across replicas) or "local" (this replica only, Redis unreachable).</summary>
    public string Scope { get; init; } = "redis";

    internal sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
