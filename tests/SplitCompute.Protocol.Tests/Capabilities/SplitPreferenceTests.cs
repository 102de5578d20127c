using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Protocol.Tests.Capabilities;

/// <summary>"auto / none / k" as one value: what each says, equality by value, and the header text it reads and writes.</summary>
public sealed class SplitPreferenceTests
{
    [Fact]
    public void Each_preference_says_what_it_is_and_nothing_else()
    {
        Assert.Equal((true, false, (int?)null), (SplitPreference.Auto.IsAuto, SplitPreference.Auto.IsNone, SplitPreference.Auto.ForcedK));
        Assert.Equal((false, true, (int?)null), (SplitPreference.None.IsAuto, SplitPreference.None.IsNone, SplitPreference.None.ForcedK));
        Assert.Equal((false, false, (int?)0), (SplitPreference.Force(0).IsAuto, SplitPreference.Force(0).IsNone, SplitPreference.Force(0).ForcedK));
    }

    [Fact]
    public void Forced_preferences_are_equal_by_k()
    {
        Assert.Equal(SplitPreference.Force(3), SplitPreference.Force(3));
        Assert.NotEqual(SplitPreference.Force(3), SplitPreference.Force(4));
        Assert.NotEqual(SplitPreference.Auto, SplitPreference.None);
        Assert.NotEqual(SplitPreference.None, SplitPreference.Force(0));
    }

    [Fact]
    public void A_negative_k_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SplitPreference.Force(-1));
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("none")]
    [InlineData("k=0")]
    [InlineData("k=1024")]
    public void Every_header_value_reads_back_as_itself(string value)
    {
        Assert.True(SplitPreference.TryParse(value, out var preference));
        Assert.Equal(value, preference.HeaderValue);
        Assert.Equal(value, preference.ToString());
    }

    [Theory]
    [InlineData("k=1025")]
    [InlineData("k=-1")]
    [InlineData("Auto")]
    [InlineData("")]
    public void Anything_else_is_not_read(string value)
    {
        Assert.False(SplitPreference.TryParse(value, out var preference));
        Assert.Null(preference);
    }
}
