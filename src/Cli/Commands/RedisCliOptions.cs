using System.CommandLine;
using SplitCompute.RedisConnection;

namespace SplitCompute.Cli.Commands;

/// <summary>The Redis options of the commands that talk to the gateways' Redis: where it is, who we are, TLS.</summary>
internal sealed class RedisCliOptions
{
    private readonly Option<string> _endpoint = new("--redis")
    {
        Description = "redis-server of the gateways: host:port or a StackExchange.Redis configuration string (Sentinel, cluster, ssl=true)",
        DefaultValueFactory = _ => "127.0.0.1:6379",
    };

    private readonly Option<string?> _user = new("--redis-user") { Description = "Redis ACL user (default: $SPLITCOMPUTE_REDIS_USER, else the default user)" };
    private readonly Option<string?> _password = new("--redis-password")
    {
        Description = "Redis password (default: $SPLITCOMPUTE_REDIS_PASSWORD, else the one `up` generated in $SPLITCOMPUTE_HOME/secrets)",
    };
    private readonly Option<bool> _tls = new("--redis-tls") { Description = "connect to Redis with TLS" };
    private readonly Option<FileInfo?> _caFile = new("--redis-tls-ca") { Description = "PEM file of the private CA that signed Redis's certificate (implies --redis-tls)" };

    public static RedisCliOptions AddTo(Command command)
    {
        var options = new RedisCliOptions();
        command.Options.Add(options._endpoint);
        command.Options.Add(options._user);
        command.Options.Add(options._password);
        command.Options.Add(options._tls);
        command.Options.Add(options._caFile);
        return options;
    }

    public RedisSettings Settings(ParseResult result) => new()
    {
        Endpoint = result.GetValue(_endpoint)!,
        User = result.GetValue(_user) ?? Environment("SPLITCOMPUTE_REDIS_USER"),
        Password = result.GetValue(_password) ?? Environment("SPLITCOMPUTE_REDIS_PASSWORD") ?? Local.LocalSecrets.ExistingRedisPassword(Paths.Home),
        Tls = result.GetValue(_tls),
        TlsCaFile = result.GetValue(_caFile)?.FullName,
        ClientName = "splitcompute-keys",
    };

    private static string? Environment(string name) => System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
