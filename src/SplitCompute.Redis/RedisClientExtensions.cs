using System.Text;

namespace SplitCompute.Redis;

/// <summary>Conveniences over <see cref="IRedisClient"/> that any implementation gets for free.</summary>
public static class RedisClientExtensions
{
    /// <summary>GET as UTF-8 text; null when the key does not exist.</summary>
    public static async Task<string?> GetStringAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return await client.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
    }
}
