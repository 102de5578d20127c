using System.Text;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>The key store against a real redis-server: keys are stored only hashed, listed, found, and revoked by id.</summary>
public sealed class ApiKeyStoreTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private RedisConnector _client = null!;

    public Task InitializeAsync()
    {
        _client = redis.Connect();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task Created_keys_are_stored_only_as_their_hash_and_found_by_it()
    {
        var store = new ApiKeyStore(_client, TimeProvider.System);
        var (key, record) = await store.CreateAsync("store-test", 7, 3);
        Assert.True(ApiKeys.LooksValid(key));
        Assert.Equal(ApiKeys.IdOf(ApiKeys.Hash(key)), record.Id);
        var found = await store.FindAsync(ApiKeys.Hash(key));
        Assert.Equal(record, found);
        Assert.Equal((7, 3, false), (found!.RatePerSecond, found.MaxConcurrent, found.Revoked));
        Assert.Null(await store.FindAsync(ApiKeys.Hash(ApiKeys.Generate())));

        // Nothing in Redis holds the key's secret part, under any name.
        var secret = key[ApiKeys.Prefix.Length..];
        var database = await _client.DatabaseAsync();
        foreach (var name in await _client.ScanAsync("*"))
        {
            Assert.DoesNotContain(secret, (string)name!, StringComparison.Ordinal);
            if ((byte[]?)await database.StringGetAsync(name) is { } value) Assert.DoesNotContain(secret, Encoding.UTF8.GetString(value), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Revoke_marks_the_key_and_list_shows_it()
    {
        var store = new ApiKeyStore(_client, TimeProvider.System);
        var (key, record) = await store.CreateAsync("to-revoke", 1, 1);
        var revoked = await store.RevokeAsync(record.Id);
        Assert.True(revoked!.Revoked);
        Assert.NotNull(revoked.RevokedUnixMs);
        Assert.True((await store.FindAsync(ApiKeys.Hash(key)))!.Revoked);
        Assert.Contains(await store.ListAsync(), r => r.Id == record.Id && r.Revoked && r.Name == "to-revoke");
        Assert.Null(await store.RevokeAsync("000000000000"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.RevokeAsync("*"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("\u00e9")]
    public async Task Names_must_be_printable_ASCII(string name) =>
        await Assert.ThrowsAsync<ArgumentException>(() => new ApiKeyStore(_client, TimeProvider.System).CreateAsync(name, 1, 1));

    [Fact]
    public async Task A_garbage_record_is_an_unknown_key_not_a_crash()
    {
        var hash = ApiKeys.Hash(ApiKeys.Generate());
        await (await _client.DatabaseAsync()).StringSetAsync(ApiKeyStore.KeyPrefix + hash, "{not json");
        Assert.Null(await new ApiKeyStore(_client, TimeProvider.System).FindAsync(hash));
    }
}
