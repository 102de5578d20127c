using FsCheck;
using FsCheck.Fluent;
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

    [Fact]
    public void Whatever_samples_arrive_the_coefficients_stay_finite_and_bounded()
    {
        // Property: any sequence of samples (denormals, -0, huge, infinite, NaN, negative, ordinary) and forgetting factors
        // leaves A and B finite and within MaxMagnitude after every update, so predictions over real tails stay finite.
        var hostile = Gen.Elements(0.0, -0.0, double.Epsilon, 1e-300, 2.2250738585072014E-308, 1e-3, 1, 37.5, 1e6, 1e9, 1e12, 1e150,
            1e308, double.MaxValue, -1, -1e12, -1e308, double.NaN, double.PositiveInfinity, double.NegativeInfinity);
        var scaled = Gen.Choose(-330, 308).SelectMany(e => Gen.Choose(-9, 9), (e, m) => m * Math.Pow(10, e));
        var value = Gen.Frequency((2, hostile), (1, scaled), (2, Gen.Choose(0, 100_000).Select(v => v / 10.0)));
        var lambda = Gen.Elements(0.5, 0.9, 0.999, 1.0, 0.0, -1, double.NaN, 2);
        var sample = value.SelectMany(_ => value, (x, y) => (x, y)).SelectMany(_ => lambda, (xy, l) => (xy.x, xy.y, l));
        var sequences = Gen.Choose(1, 60).SelectMany(n => Gen.ArrayOf(sample, n));

        foreach (var sequence in sequences.Sample(400))
        {
            var fit = OnlineLineFit.Prior(5, 10, 2_500, 1_600);
            foreach (var (x, y, l) in sequence)
            {
                fit = fit.Update(x, y, l);
                Assert.True(Math.Abs(fit.A) <= OnlineLineFit.MaxMagnitude && Math.Abs(fit.B) <= OnlineLineFit.MaxMagnitude,
                    $"after Update({x:R}, {y:R}, {l:R}): A = {fit.A:R}, B = {fit.B:R} (sequence of {sequence.Length})");
                Assert.True(double.IsFinite(fit.Predict(1_000)), $"Predict(1000) = {fit.Predict(1_000):R} after Update({x:R}, {y:R}, {l:R})");
            }
        }
    }

    [Fact]
    public void A_denormal_sample_changes_nothing()
    {
        var fit = OnlineLineFit.Prior(1, 2, 10, 1);
        Assert.Equal(fit, fit.Update(5e-324, 3, 0.9));
        Assert.Equal(fit, fit.Update(3, 5e-324, 0.9));
    }
}
