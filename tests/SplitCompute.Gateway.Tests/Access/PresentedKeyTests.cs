using Microsoft.AspNetCore.Http;
using SplitCompute.Gateway.Access;

namespace SplitCompute.Gateway.Tests.Access;

public sealed class PresentedKeyTests
{
    private static HttpRequest Request(params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        foreach (var group in headers.GroupBy(h => h.Name)) context.Request.Headers[group.Key] = group.Select(h => h.Value).ToArray();
        return context.Request;
    }

    [Theory]
    [InlineData("Authorization", "Bearer sc_key", "sc_key")]
    [InlineData("Authorization", "bearer   sc_key  ", "sc_key")]
    [InlineData("X-API-Key", "sc_key", "sc_key")]
    public void Bearer_or_X_API_Key_is_read(string header, string value, string expected)
    {
        Assert.Equal(expected, PresentedKey.Read(Request((header, value)), out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void No_key_is_null_without_a_problem()
    {
        Assert.Null(PresentedKey.Read(Request(), out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "scheme")]
    [InlineData("sc_key", "scheme")]
    public void Other_schemes_are_a_problem(string authorization, string mention)
    {
        Assert.Null(PresentedKey.Read(Request(("Authorization", authorization)), out var problem));
        Assert.Contains(mention, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_different_keys_are_refused_rather_than_one_picked()
    {
        Assert.Null(PresentedKey.Read(Request(("Authorization", "Bearer a"), ("X-API-Key", "b")), out var problem));
        Assert.Contains("different keys", problem, StringComparison.Ordinal);
        Assert.Null(PresentedKey.Read(Request(("X-API-Key", "a"), ("X-API-Key", "b")), out problem));
        Assert.Contains("more than one", problem, StringComparison.Ordinal);
        Assert.Equal("a", PresentedKey.Read(Request(("Authorization", "Bearer a"), ("X-API-Key", "a")), out problem));
    }
}
