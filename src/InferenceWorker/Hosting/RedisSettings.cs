namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>Configuration section "Redis": where live load is published.</summary>
public sealed class RedisSettings
{
    public const string Section = "Redis";

    /// <summary>host:port of redis-server.</summary>
    public string Endpoint { get; set; } = "127.0.0.1:6379";

    public string? Password { get; set; }
}
