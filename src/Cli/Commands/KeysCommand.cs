using SplitCompute.Protocol.Cluster;
using System.CommandLine;
using System.Globalization;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `keys create|list|revoke`: API keys in the gateway's Redis. A new key is printed once, alone on stdout's first line (so
/// `KEY=$(splitcompute keys create --name app)` captures it); only its SHA-256 is stored.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "who the key is for (1 to 64 printable ASCII characters)", Required = true };
        var rate = new Option<int>("--rate") { Description = "requests per second to /v1/embeddings, across all gateways (0 = unlimited)", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "embeddings requests in flight at once, across all gateways (0 = unlimited)", DefaultValueFactory = _ => 4 };
        var tokensPerMinute = new Option<int>("--tokens-per-minute")
        {
            Description = "input tokens per minute to the embeddings endpoints, across all gateways (0 = unlimited)", DefaultValueFactory = _ => ApiKeyRecord.DefaultTokensPerMinute,
        };
        var tokensInFlight = new Option<int>("--tokens-in-flight")
        {
            Description = "input tokens of embeddings requests running at once, across all gateways; also the largest request (0 = unlimited)",
            DefaultValueFactory = _ => ApiKeyRecord.DefaultTokensInFlight,
        };
        tokensPerMinute.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--tokens-per-minute must be 0 or more"); });
        tokensInFlight.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--tokens-in-flight must be 0 or more"); });
        rate.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--rate must be 0 or more"); });
        concurrency.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--concurrency must be 0 or more"); });
        var secretFile = new Option<FileInfo?>("--cluster-secret-file")
        {
            Description = "the deployment's cluster secret, for the key's MAC (default: $SPLITCOMPUTE_CLUSTER_SECRET, else the one `up` generated)",
        };
        var create = new Command("create", "create an API key and print it (once)") { name, rate, concurrency, tokensPerMinute, tokensInFlight, secretFile };
        var redis = RedisCliOptions.AddTo(create);
        create.SetAction((result, cancellationToken) => WithRedisAsync(redis.Settings(result), async client =>
        {
            var cluster = ClusterSecretFor(result.GetValue(secretFile));
            if (!cluster.Enabled)
            {
                Console.Error.WriteLine("keys: no cluster secret (--cluster-secret-file, $SPLITCOMPUTE_CLUSTER_SECRET or `up`'s): the key carries no MAC, " +
                                        "so gateways with a cluster secret refuse it unless Gateway:RequireKeyMac is false");
            }
            var (key, record) = await new ApiKeyStore(client, TimeProvider.System, new ApiKeyMac(cluster)).CreateAsync(result.GetValue(name)!, result.GetValue(rate), result.GetValue(concurrency),
                result.GetValue(tokensPerMinute), result.GetValue(tokensInFlight), cancellationToken).ConfigureAwait(false);
            Console.WriteLine(key);
            Console.Error.WriteLine($"created key {record.Id} for \"{record.Name}\": {Limits(record)}. Store it now: it is not shown again (Redis holds only its SHA-256).");
            return 0;
        }));

        var list = new Command("list", "list API keys (ids, names, limits, state; never the keys)");
        var listRedis = RedisCliOptions.AddTo(list);
        list.SetAction((result, cancellationToken) => WithRedisAsync(listRedis.Settings(result), async client =>
        {
            var records = await Store(client).ListAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"{"id",-12}  {"state",-7}  {"created (UTC)",-19}  {"limits",-66}  name");
            foreach (var r in records)
            {
                var created = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedUnixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                Console.WriteLine($"{r.Id,-12}  {(r.Revoked ? "revoked" : "active"),-7}  {created,-19}  {Limits(r),-66}  {r.Name}");
            }
            Console.Error.WriteLine($"{records.Count} key(s)");
            return 0;
        }));

        var id = new Argument<string>("ID") { Description = "the key's id, as `keys list` shows it (12 hex characters)" };
        var revoke = new Command("revoke", "revoke an API key: gateways refuse it (403) within Gateway:ApiKeyCacheSeconds") { id };
        var revokeRedis = RedisCliOptions.AddTo(revoke);
        revoke.SetAction((result, cancellationToken) => WithRedisAsync(revokeRedis.Settings(result), async client =>
        {
            var record = await Store(client).RevokeAsync(result.GetValue(id)!, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                Console.Error.WriteLine($"no key has id {result.GetValue(id)} (see `splitcompute keys list`)");
                return 1;
            }
            Console.WriteLine($"revoked key {record.Id} (\"{record.Name}\")");
            return 0;
        }));
        revoke.Validators.Add(r =>
        {
            if (!ApiKeys.IsValidId(r.GetValue(id))) r.AddError($"ID is {ApiKeys.IdLength} lowercase hex characters, as `keys list` shows; got '{r.GetValue(id)}'");
        });

        return new Command("keys", "create, list and revoke API keys (stored hashed in the gateway's Redis)") { create, list, revoke };
    }

    /// <summary>Runs <paramref name="action"/> with a connection; Redis failures and refused arguments end in one line on stderr.</summary>
    private static async Task<int> WithRedisAsync(RedisSettings settings, Func<RedisConnector, Task<int>> action)
    {
        try
        {
            await using var client = new RedisConnector(settings);
            return await action(client).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            Console.Error.WriteLine($"keys: Redis at {settings}: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"keys: {ex.Message}");
            return 1;
        }
    }

    private static ApiKeyStore Store(RedisConnector client) => new(client, TimeProvider.System);

    /// <summary>The cluster secret the gateways check keys' MACs with: the file given, else $SPLITCOMPUTE_CLUSTER_SECRET, else `up`'s.</summary>
    private static ClusterSecret ClusterSecretFor(FileInfo? file)
    {
        if (file is not null) return ClusterSecret.From(null, file.FullName);
        if (Environment.GetEnvironmentVariable("SPLITCOMPUTE_CLUSTER_SECRET") is { Length: > 0 } secret) return new ClusterSecret(secret.Trim());
        return Local.LocalSecrets.ExistingClusterSecretFile(Paths.Home) is { } local ? ClusterSecret.From(null, local) : ClusterSecret.None;
    }

    private static string Limits(ApiKeyRecord r) =>
        $"{Limit(r.RatePerSecond, "/s")}, concurrency {Limit(r.MaxConcurrent, "")}, tokens {Limit(r.TokensPerMinute, "/min")}, {Limit(r.TokensInFlight, " in flight")}";

    private static string Limit(int value, string unit) => value == 0 ? "unlimited" + (unit == " in flight" ? unit : "") : value.ToString(CultureInfo.InvariantCulture) + unit;
}
