using SplitCompute.Protocol.Workers;
using Xunit;

namespace SplitCompute.Protocol.Tests.Workers;

public sealed class WorkerTimingTests
{
    [Fact]
    public void Format_writes_bare_decimals_with_three_places_and_parses_back()
    {
        var timing = new WorkerTiming(1.25, 4.8, 0.3104, 2.0045);

        var text = timing.Format();

        Assert.Equal("busy=1.250; full=4.800; queue=0.310; total=2.005", text);
        Assert.True(WorkerTiming.TryParse(text, out var back));
        Assert.Equal(new WorkerTiming(1.25, 4.8, 0.31, 2.005), back);
    }

    [Fact]
    public void Negative_or_non_finite_figures_are_written_as_zero()
    {
        Assert.Equal("busy=0.000; full=0.000; queue=0.000; total=0.000", new WorkerTiming(-1, double.NaN, double.PositiveInfinity, -0.0).Format());
    }

    [Fact]
    public void Unknown_members_and_whitespace_are_accepted()
    {
        Assert.True(WorkerTiming.TryParse(" total=9 ;busy=1.5;gpu=\"h100\";  full=12; queue=0 ", out var timing));
        Assert.Equal(new WorkerTiming(1.5, 12, 0, 9), timing);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("busy=1; full=2; queue=3")]                      // total missing
    [InlineData("busy=-1; full=2; queue=3; total=4")]            // no sign in the grammar
    [InlineData("busy=1,5; full=2; queue=3; total=4")]           // a comma is a separator, not a decimal point
    [InlineData("busy=NaN; full=2; queue=3; total=4")]
    [InlineData("busy=1e999; full=2; queue=3; total=4")]         // overflows to infinity
    [InlineData("busy=\"1\"; full=2; queue=3; total=4")]         // a string is not a number
    [InlineData("busy=1; full=2; queue=3; total=4x")]
    [InlineData("=;;;==")]
    public void Malformed_values_are_refused_without_throwing(string? value)
    {
        Assert.False(WorkerTiming.TryParse(value, out var timing));
        Assert.Null(timing);
    }

    [Fact]
    public void A_value_over_the_header_bound_is_refused()
    {
        Assert.False(WorkerTiming.TryParse("busy=1; full=2; queue=3; total=4; " + new string('x', 10_000) + "=1", out _));
    }
}
