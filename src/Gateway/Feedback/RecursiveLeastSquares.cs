namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// Online least squares for y = A + B x with exponential forgetting (weight <c>lambda</c> per older sample), as a value: the
/// estimate, and the 2x2 covariance P (symmetric: P00, P01, P11) that says how sure it is of each coefficient. Started from a
/// prior (the client's reported figures) whose variances say how far the first samples may move it. A sample that would make
/// anything non-finite is refused, and the covariance is held below the prior's so a direction never excited (every request the
/// same size) cannot grow without bound under forgetting.
/// </summary>
public readonly record struct RecursiveLeastSquares(double A, double B, double P00, double P01, double P11, int Samples)
{
    public static RecursiveLeastSquares Prior(double a, double b, double varianceA, double varianceB) => new(a, b, varianceA, 0, varianceB, 0);

    public double Predict(double x) => A + (B * x);

    public RecursiveLeastSquares Update(double x, double y, double lambda, double maxVarianceA, double maxVarianceB)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return this;
        // Px = P [1, x]^T; gain K = Px / (lambda + [1, x] Px)
        var px0 = P00 + (P01 * x);
        var px1 = P01 + (P11 * x);
        var denominator = lambda + px0 + (x * px1);
        if (!(denominator > 0)) return this;
        var (k0, k1) = (px0 / denominator, px1 / denominator);
        var error = y - Predict(x);
        // P' = (P - K (Px)^T) / lambda
        var p00 = Math.Min((P00 - (k0 * px0)) / lambda, maxVarianceA);
        var p11 = Math.Min((P11 - (k1 * px1)) / lambda, maxVarianceB);
        var p01 = Math.Clamp((P01 - (k0 * px1)) / lambda, -Math.Sqrt(p00 * p11), Math.Sqrt(p00 * p11));
        var next = new RecursiveLeastSquares(A + (k0 * error), B + (k1 * error), p00, p01, p11, Samples + 1);
        return double.IsFinite(next.A) && double.IsFinite(next.B) && double.IsFinite(p00) && double.IsFinite(p11) && p00 >= 0 && p11 >= 0 ? next : this;
    }
}
