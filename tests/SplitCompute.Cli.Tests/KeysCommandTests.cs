using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Cli.Tests;

/// <summary>`splitcompute keys create|list|revoke` as a real process against a real redis-server, checked through the gateway's key store.</summary>
public sealed class KeysCommandTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Create_prints_the_key_once_list_shows_it_without_the_key_and_revoke_marks_it()
    {
        var (exit, stdout, stderr) = CliProcess.Run("keys", "create", "--name", "cli test", "--rate", "7", "--concurrency", "2", "--redis", redis.Endpoint);
        Assert.True(exit == 0, stderr);
        var key = stdout.Trim();
        Assert.True(ApiKeys.LooksValid(key), $"stdout is not just the key: '{stdout}'");
        var id = ApiKeys.IdOf(ApiKeys.Hash(key));
        Assert.Contains(id, stderr, StringComparison.Ordinal);

        await using var client = redis.Connect();
        var store = new ApiKeyStore(client, TimeProvider.System);
        var record = await store.FindAsync(ApiKeys.Hash(key));
        Assert.Equal(("cli test", 7, 2, false), (record!.Name, record.RatePerSecond, record.MaxConcurrent, record.Revoked));

        var list = CliProcess.Run("keys", "list", "--redis", redis.Endpoint);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.EndsWith("\n", list.Stdout, StringComparison.Ordinal);  // a shell prompt or `| tail` must not join the last line (issue 21)
        Assert.EndsWith("key(s)\n", list.Stderr, StringComparison.Ordinal);
        var line = list.Stdout.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("active", line, StringComparison.Ordinal);
        Assert.Contains("7/s, concurrency 2", line, StringComparison.Ordinal);
        Assert.DoesNotContain(key[ApiKeys.Prefix.Length..], list.Stdout + list.Stderr, StringComparison.Ordinal);

        var revoke = CliProcess.Run("keys", "revoke", id, "--redis", redis.Endpoint);
        Assert.True(revoke.ExitCode == 0, revoke.Stderr);
        Assert.True((await store.FindAsync(ApiKeys.Hash(key)))!.Revoked);
        Assert.Contains("revoked", CliProcess.Run("keys", "list", "--redis", redis.Endpoint).Stdout.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_sets_token_limits_with_defaults_and_list_shows_them()
    {
        var (exit, stdout, stderr) = CliProcess.Run("keys", "create", "--name", "tokens", "--tokens-per-minute", "50000", "--tokens-in-flight", "4096", "--redis", redis.Endpoint);
        Assert.True(exit == 0, stderr);
        var defaults = CliProcess.Run("keys", "create", "--name", "defaults", "--redis", redis.Endpoint);
        Assert.True(defaults.ExitCode == 0, defaults.Stderr);

        await using var client = redis.Connect();
        var store = new ApiKeyStore(client, TimeProvider.System);
        var record = (await store.FindAsync(ApiKeys.Hash(stdout.Trim())))!;
        Assert.Equal((50_000, 4096), (record.TokensPerMinute, record.TokensInFlight));
        var byDefault = (await store.FindAsync(ApiKeys.Hash(defaults.Stdout.Trim())))!;
        Assert.Equal((ApiKeyRecord.DefaultTokensPerMinute, ApiKeyRecord.DefaultTokensInFlight), (byDefault.TokensPerMinute, byDefault.TokensInFlight));

        var list = CliProcess.Run("keys", "list", "--redis", redis.Endpoint);
        var line = list.Stdout.Split('\n').Single(l => l.StartsWith(record.Id, StringComparison.Ordinal));
        Assert.Contains("tokens 50000/min, 4096 in flight", line, StringComparison.Ordinal);

        var negative = CliProcess.Run("keys", "create", "--name", "x", "--tokens-in-flight", "-1", "--redis", redis.Endpoint);
        Assert.NotEqual(0, negative.ExitCode);
        Assert.Contains("--tokens-in-flight must be 0 or more", negative.Stdout + negative.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_and_unknown_ids_fail_with_a_reason()
    {
        var unknown = CliProcess.Run("keys", "revoke", "0123456789ab", "--redis", redis.Endpoint);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no key has id 0123456789ab", unknown.Stderr, StringComparison.Ordinal);

        var badId = CliProcess.Run("keys", "revoke", "*", "--redis", redis.Endpoint);
        Assert.NotEqual(0, badId.ExitCode);
        Assert.Contains("12 lowercase hex", badId.Stdout + badId.Stderr, StringComparison.Ordinal);

        var badName = CliProcess.Run("keys", "create", "--name", "tab\there", "--redis", redis.Endpoint);
        Assert.Equal(1, badName.ExitCode);
        Assert.Contains("printable ASCII", badName.Stderr, StringComparison.Ordinal);

        var negative = CliProcess.Run("keys", "create", "--name", "x", "--rate", "-1", "--redis", redis.Endpoint);
        Assert.NotEqual(0, negative.ExitCode);
        Assert.Contains("--rate must be 0 or more", negative.Stdout + negative.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_Redis_is_a_clear_error_not_a_hang()
    {
        var (exit, _, stderr) = CliProcess.Run("keys", "list", "--redis", "127.0.0.1:1");
        Assert.Equal(2, exit);
        Assert.StartsWith("keys: Redis at 127.0.0.1:1: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);  // one line, not a stack trace
    }
}

/// <summary>`keys` against a production-like Redis: an ACL user, its password from the environment, TLS with a private CA.</summary>
public sealed class SecuredKeysCommandTests(SecuredRedisServerFixture redis) : IClassFixture<SecuredRedisServerFixture>
{
    [Fact]
    public async Task Keys_are_created_as_the_ACL_user_over_TLS_and_refused_without_the_password()
    {
        var settings = redis.ClientSettings;
        string[] secured = ["--redis", settings.Endpoint, "--redis-user", settings.User!, "--redis-tls-ca", settings.TlsCaFile!];
        var (exit, stdout, stderr) = CliProcess.RunWithEnvironment(new Dictionary<string, string> { ["SPLITCOMPUTE_REDIS_PASSWORD"] = settings.Password! },
            ["keys", "create", "--name", "over tls", .. secured]);
        Assert.True(exit == 0, stderr);
        await using var client = redis.Connect();
        Assert.Equal("over tls", (await new ApiKeyStore(client, TimeProvider.System).FindAsync(ApiKeys.Hash(stdout.Trim())))!.Name);

        var refused = CliProcess.Run(["keys", "list", .. secured, "--redis-password", "wrong"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("keys: Redis at ", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", refused.Stderr, StringComparison.Ordinal);  // never echo a password
    }
}
