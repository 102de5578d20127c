using SplitCompute.Gateway.Feedback;

namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>The online fit recovers a line from a few samples, follows a client that changed, and refuses poison.</summary>
public sealed class OnlineLineFitTests
{
    private static OnlineLineFit Prior() => OnlineLineFit.Prior(0, 1, 2_500, 16);

    [Fact]
    public void Recovers_intercept_and_slope_from_a_few_distinct_samples()
    {
        var fit = Prior();
        foreach (var x in new[] { 1.0, 5, 2, 8, 3 }) fit = fit.Update(x, 20 + (3 * x), 0.9);
        Assert.InRange(fit.A, 19.9, 20.1);
        Assert.InRange(fit.B, 2.99, 3.01);
        Assert.Equal(5, fit.Samples);
    }

    [Fact]
    public void Forgets_so_a_client_that_got_slower_is_followed()
    {
        var fit = Prior();
        var rng = new Random(7);
        for (var i = 0; i < 30; i++) { var x = rng.Next(1, 10); fit = fit.Update(x, 10 + (2 * x), 0.8); }
        for (var i = 0; i < 30; i++) { var x = rng.Next(1, 10); fit = fit.Update(x, 10 + (6 * x), 0.8); }
        Assert.InRange(fit.B, 5.9, 6.1);
        Assert.InRange(fit.A, 9.5, 10.5);
    }

    [Fact]
    public void Samples_of_one_size_only_fit_that_size_and_keep_the_prior_slope()
    {
        var fit = OnlineLineFit.Prior(0, 1, 100, 1);
        for (var i = 0; i < 10_000; i++) fit = fit.Update(4, 40, 0.9);
        Assert.InRange(fit.Predict(4), 39.9, 40.1);
        Assert.True(double.IsFinite(fit.A) && double.IsFinite(fit.B));
    }

    [Fact]
    public void Non_finite_samples_change_nothing()
    {
        var fit = OnlineLineFit.Prior(1, 2, 10, 1);
        Assert.Equal(fit, fit.Update(double.NaN, 1, 0.9));
        Assert.Equal(fit, fit.Update(1, double.PositiveInfinity, 0.9));
        Assert.Equal(fit, fit.Update(double.MaxValue, double.MaxValue, 0.9));
    }
}
