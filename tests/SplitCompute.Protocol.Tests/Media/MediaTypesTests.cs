using SplitCompute.Protocol;

namespace SplitCompute.Protocol.Tests.Media;

/// <summary>The Accept parameter by which a client says it honours a frame's pool_from, read as HTTP media types are.</summary>
public sealed class MediaTypesTests
{
    [Theory]
    [InlineData("application/vnd.splitcompute.hidden-state; pool-from=1", true)]
    [InlineData("application/json, application/vnd.splitcompute.hidden-state;pool-from=1;q=0.9", true)]
    [InlineData("APPLICATION/VND.SPLITCOMPUTE.HIDDEN-STATE; Pool-From=1", true)]
    [InlineData("application/vnd.splitcompute.hidden-state", false)]
    [InlineData("application/vnd.splitcompute.hidden-state; pool-from=0", false)]
    [InlineData("application/json; pool-from=1", false)]
    [InlineData("application/vnd.splitcompute.hidden-state; pool-from", false)]
    [InlineData("not a media type;;; pool-from=1", false)]
    [InlineData("", false)]
    public void Pool_from_is_accepted_only_on_the_frame_type_with_value_1(string accept, bool expected) =>
        Assert.Equal(expected, MediaTypes.AcceptsPoolFrom([accept]));

    [Fact]
    public void Any_of_several_accept_values_may_carry_it() =>
        Assert.True(MediaTypes.AcceptsPoolFrom([null, "application/json", "application/vnd.splitcompute.hidden-state; pool-from=1"]));
}
