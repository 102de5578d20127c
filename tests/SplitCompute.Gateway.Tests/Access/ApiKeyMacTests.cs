using SplitCompute.Gateway.Access;
using SplitCompute.Protocol.Cluster;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>The short MAC inside API keys: made and checked with the deployment's cluster secret, and never an exception on junk.</summary>
public sealed class ApiKeyMacTests
{
    private static readonly ApiKeyMac Ours = new(new ClusterSecret("ours-0123456789abcdefghijklmnopqrstuvwxyz"));
    private static readonly ApiKeyMac Theirs = new(new ClusterSecret("theirs-0123456789abcdefghijklmnopqrstuvwxyz"));

    [Fact]
    public void A_key_made_with_the_secret_has_the_usual_shape_and_verifies_only_under_that_secret()
    {
        for (var i = 0; i < 200; i++)
        {
            var key = Ours.Generate();
            Assert.True(ApiKeys.LooksValid(key), key);
            Assert.True(Ours.Verifies(key), key);
            Assert.False(Theirs.Verifies(key), key);
        }
    }

    [Fact]
    public void Keys_without_the_MAC_or_with_one_character_changed_are_refused()
    {
        // A key made without a secret passes a 48-bit MAC with probability 2^-48: never, in 200 tries.
        Assert.All(Enumerable.Range(0, 200).Select(_ => ApiKeys.Generate()), key => Assert.False(Ours.Verifies(key), key));
        var good = Ours.Generate();
        for (var position = ApiKeys.Prefix.Length; position < good.Length - 1; position++)
        {
            var changed = good.ToCharArray();
            changed[position] = changed[position] == 'A' ? 'B' : 'A';
            Assert.False(Ours.Verifies(new string(changed)), $"changed at {position}");
        }
    }

    [Fact]
    public void Without_a_secret_nothing_is_checked_and_keys_are_plain_random()
    {
        Assert.False(ApiKeyMac.None.Enabled);
        Assert.True(ApiKeyMac.None.Verifies(ApiKeys.Generate()));
        Assert.True(ApiKeys.LooksValid(ApiKeyMac.None.Generate()));
    }

    [Fact]
    public void Any_well_formed_string_is_answered_true_or_false_never_an_exception()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var random = new Random(21);
        for (var i = 0; i < 5_000; i++)
        {
            var key = ApiKeys.Prefix + new string([.. Enumerable.Range(0, ApiKeys.KeyLength - ApiKeys.Prefix.Length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            Assert.True(ApiKeys.LooksValid(key));
            _ = Ours.Verifies(key);  // once threw FormatException for a last character with stray low bits
        }
        Assert.False(Ours.Verifies("sc_UwaE9oquN5Xsdhfb6A0iYo2de0Yn_3eY_ON8ZSlOlBt"));
    }
}
