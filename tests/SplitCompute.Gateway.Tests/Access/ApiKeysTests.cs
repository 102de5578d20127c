using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Gateway.Access;

namespace SplitCompute.Gateway.Tests.Access;

public sealed partial class ApiKeysTests
{
    [GeneratedRegex("^sc_[A-Za-z0-9_-]{43}$")]
    private static partial Regex KeyShape();

    [Fact]
    public void Generated_keys_are_well_formed_distinct_and_hash_to_their_id()
    {
        var keys = Enumerable.Range(0, 2000).Select(_ => ApiKeys.Generate()).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(keys, k => Assert.Matches(KeyShape(), k));
        Assert.All(keys, k => Assert.True(ApiKeys.LooksValid(k), k));
        var hash = ApiKeys.Hash(keys[0]);
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash[..12], ApiKeys.IdOf(hash));
        Assert.True(ApiKeys.IsValidId(ApiKeys.IdOf(hash)));
        // 2000 keys x 256 bits: every byte value appears in the secrets, i.e. they are not from a narrow source.
        var bytes = keys.SelectMany(k => System.Buffers.Text.Base64Url.DecodeFromChars(k.AsSpan(3))).Distinct().Count();
        Assert.Equal(256, bytes);
    }

    [Fact]
    public void LooksValid_accepts_exactly_the_issued_shape()
    {
        var chars = Gen.Elements("sc_abcXYZ019-_+/=. \t\u00e9\0".ToCharArray());
        var near = Gen.Choose(40, 50).SelectMany(n => Gen.ArrayOf(chars, n)).Select(a => "sc_" + new string(a));
        var anything = Gen.Frequency((3, near), (1, ArbMap.Default.GeneratorFor<string>()));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000).WithQuietOnSuccess(true),
            Prop.ForAll(anything.ToArbitrary(), s => ApiKeys.LooksValid(s) == (s is not null && KeyShape().IsMatch(s))));
    }

    [Theory]
    [InlineData("0123456789ab", true)]
    [InlineData("0123456789AB", false)]
    [InlineData("0123456789a", false)]
    [InlineData("*", false)]
    [InlineData("0123456789a*", false)]
    public void Key_ids_are_twelve_lowercase_hex_characters_so_they_are_safe_in_a_SCAN_pattern(string id, bool valid) =>
        Assert.Equal(valid, ApiKeys.IsValidId(id));
}
