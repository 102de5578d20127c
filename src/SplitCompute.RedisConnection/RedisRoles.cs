namespace SplitCompute.RedisConnection;

/// <summary>
/// The Redis ACL users each process connects as, so that no process can do more than its role needs (issue 21): the gateway
/// reads keys, heartbeats and manifests and writes limits and decisions, all under "splitcompute:"; a worker reaches only
/// heartbeats and manifests, so a compromised worker host can neither read API keys nor forge one nor touch the limits. Neither
/// may run the dangerous commands (FLUSHALL, CONFIG, KEYS, DEBUG, SHUTDOWN, ...). `splitcompute keys` and operators use the
/// default user (the admin password). One source for `up`, docker compose and the tests.
/// </summary>
public static class RedisRoles
{
    public const string GatewayUser = "splitcompute-gateway";
    public const string WorkerUser = "splitcompute-worker";

    /// <summary>What the gateway may do: every non-dangerous command on SplitCompute's keys.</summary>
    public const string GatewayRules = "~splitcompute:* resetchannels +@all -@dangerous";

    /// <summary>What a worker may do: every non-dangerous command on heartbeats and manifests only.</summary>
    public const string WorkerRules = "~splitcompute:worker:* ~splitcompute:manifest:* resetchannels +@all -@dangerous";

    /// <summary>redis-server configuration lines ("user NAME on >PASSWORD RULES") for both roles.</summary>
    public static IEnumerable<string> AclLines(string gatewayPassword, string workerPassword)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gatewayPassword);
        ArgumentException.ThrowIfNullOrWhiteSpace(workerPassword);
        yield return $"user {GatewayUser} on >{gatewayPassword} {GatewayRules}";
        yield return $"user {WorkerUser} on >{workerPassword} {WorkerRules}";
    }
}
