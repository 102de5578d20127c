namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// Least squares for y = A + B x over exponentially forgotten samples (each older sample weighs <c>lambda</c> times less), kept
/// as its weighted sums so every update is exact: the estimate recursive least squares with forgetting gives, without a
/// covariance matrix to drift. A weak prior (the client's reported figures, with the precisions the caller gives) is added to
/// the normal equations and never forgotten, so a direction the samples never excite (every request the same size) stays at
/// the prior instead of becoming singular. A sample outside +-<see cref="MaxMagnitude"/> (or denormal, or non-finite), or
/// one that would move a coefficient beyond that bound, is refused and leaves the fit as it was: whatever arrives, A and B
/// stay finite and bounded, so a prediction over any real tail stays finite too (issue 21).
/// </summary>
public readonly record struct OnlineLineFit(
    double A, double B, int Samples,
    double PriorA, double PriorB, double PrecisionA, double PrecisionB,
    double S0, double Sx, double Sxx, double Sy, double Sxy)
{
    /// <summary>Starts at (<paramref name="a"/>, <paramref name="b"/>), held there with the weight of 1 / variance samples.</summary>
    public static OnlineLineFit Prior(double a, double b, double varianceA, double varianceB) =>
        new(a, b, 0, a, b, 1 / varianceA, 1 / varianceB, 0, 0, 0, 0, 0);

    /// <summary>Largest sample and coefficient magnitude: 1e9 ms is 11 days, 1e9 GFLOP or MB far beyond any tail.</summary>
    public const double MaxMagnitude = 1e9;

    public double Predict(double x) => A + (B * x);

    public OnlineLineFit Update(double x, double y, double lambda)
    {
        if (!Usable(x) || !Usable(y) || !(lambda is > 0 and <= 1)) return this;
        var (s0, sx, sxx, sy, sxy) = ((lambda * S0) + 1, (lambda * Sx) + x, (lambda * Sxx) + (x * x), (lambda * Sy) + y, (lambda * Sxy) + (x * y));
        // Normal equations with the prior: [s0 + pa, sx; sx, sxx + pb] [A; B] = [sy + pa A0; sxy + pb B0]
        var (m00, m01, m11) = (s0 + PrecisionA, sx, sxx + PrecisionB);
        var (r0, r1) = (sy + (PrecisionA * PriorA), sxy + (PrecisionB * PriorB));
        var determinant = (m00 * m11) - (m01 * m01);
        if (!(determinant > 0) || !double.IsFinite(determinant)) return this;
        var a = ((m11 * r0) - (m01 * r1)) / determinant;
        var b = ((m00 * r1) - (m01 * r0)) / determinant;
        if (!(Math.Abs(a) <= MaxMagnitude) || !(Math.Abs(b) <= MaxMagnitude) || !double.IsFinite(sxy) || !double.IsFinite(sxx)) return this;
        return this with { A = a, B = b, Samples = Samples + 1, S0 = s0, Sx = sx, Sxx = sxx, Sy = sy, Sxy = sxy };
    }

    /// <summary>Zero, or a normal number within the bound (a denormal is no measurement and squares to zero).</summary>
    private static bool Usable(double value) => value == 0 || (double.IsNormal(value) && Math.Abs(value) <= MaxMagnitude);
}
