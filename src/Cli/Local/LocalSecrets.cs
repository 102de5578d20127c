using System.Security.Cryptography;
using SplitCompute.RedisConnection;

namespace SplitCompute.Cli.Local;

/// <summary>
/// The secrets of the local cluster `up` and `demo` start, generated once (32 random bytes each) and kept in the state directory
/// ($SPLITCOMPUTE_HOME/secrets, mode 0700; files 0600): the Redis admin password (the default user, for `keys` and operators)
/// and one password per role's ACL user (<see cref="RedisRoles"/>: the gateway, the workers), which redis-server gets from a
/// 0600 config file and the services from their environment, never a command line that `ps` shows; and the cluster secret
/// that seals heartbeats and manifests and lets workers recognise the gateway. `keys` reads the admin password from here when
/// none is given.
/// </summary>
internal sealed record LocalSecrets(string Directory, string RedisPassword, string ClusterSecret)
{
    public const string RedisPasswordFile = "redis-password";
    public const string GatewayRedisPasswordFile = "redis-gateway-password";
    public const string WorkerRedisPasswordFile = "redis-worker-password";
    public const string ClusterSecretFile = "cluster-secret";

    public required string GatewayRedisPassword { get; init; }

    public required string WorkerRedisPassword { get; init; }

    public static LocalSecrets LoadOrCreate(string home)
    {
        var directory = Path.Combine(home, "secrets");
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new LocalSecrets(directory, ReadOrCreate(Path.Combine(directory, RedisPasswordFile)), ReadOrCreate(Path.Combine(directory, ClusterSecretFile)))
        {
            GatewayRedisPassword = ReadOrCreate(Path.Combine(directory, GatewayRedisPasswordFile)),
            WorkerRedisPassword = ReadOrCreate(Path.Combine(directory, WorkerRedisPasswordFile)),
        };
    }

    /// <summary>The Redis password `up` generated under <paramref name="home"/>, if it did.</summary>
    public static string? ExistingRedisPassword(string home)
    {
        var path = Path.Combine(home, "secrets", RedisPasswordFile);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>The file holding the cluster secret `up` generated under <paramref name="home"/>, if it did.</summary>
    public static string? ExistingClusterSecretFile(string home)
    {
        var path = Path.Combine(home, "secrets", ClusterSecretFile);
        return File.Exists(path) ? path : null;
    }

    /// <summary>A redis-server configuration file (0600) holding the passwords and the role users, for redis-server's first argument.</summary>
    public string WriteRedisConfig()
    {
        var path = Path.Combine(Directory, "redis-local.conf");
        WritePrivate(path, string.Join('\n', [$"requirepass {RedisPassword}", .. RedisRoles.AclLines(GatewayRedisPassword, WorkerRedisPassword)]) + "\n");
        return path;
    }

    /// <summary>The environment that hands the gateway its Redis user and the cluster secret.</summary>
    public IReadOnlyDictionary<string, string> GatewayEnvironment() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Gateway__RedisUser"] = RedisRoles.GatewayUser,
        ["Gateway__RedisPassword"] = GatewayRedisPassword,
        ["Cluster__Secret"] = ClusterSecret,
    };

    /// <summary>The environment that hands a worker its Redis user and the cluster secret.</summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Redis__User"] = RedisRoles.WorkerUser,
        ["Redis__Password"] = WorkerRedisPassword,
        ["Cluster__Secret"] = ClusterSecret,
    };

    private static string ReadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: >= 32 } existing) return existing;
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        WritePrivate(path, secret);
        return secret;
    }

    private static void WritePrivate(string path, string contents)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream)) writer.Write(contents);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
