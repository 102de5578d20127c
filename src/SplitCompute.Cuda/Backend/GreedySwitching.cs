namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Tuning by switching one choice at a time: each of <c>count</c> two-way choices is flipped in turn, the whole is timed, and
/// the flip stays only where it beats the best time so far by more than <c>margin</c> (a fraction: noise must not decide).
/// A choice rejected early may win once later ones have switched, so passes repeat while one switched something (at most
/// <c>passes</c>).
/// Used for the block tuning (<see cref="CudaBackend"/>), where a product's best kind depends on the kernels beside it.
/// </summary>
internal static class GreedySwitching
{
    /// <summary>What switching choice <paramref name="Index"/> did in pass <paramref name="Pass"/> (from 0): its time, the best before it, and whether it stayed.</summary>
    public sealed record Outcome(int Pass, int Index, double SwitchedMs, double BestBeforeMs, bool Kept);

    /// <param name="toggle">Flips choice i (calling it twice restores it).</param>
    /// <param name="measure">Times the whole with the choices as they are now.</param>
    public static IReadOnlyList<Outcome> Run(int count, Action<int> toggle, Func<double> measure, double margin, int passes = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(passes);
        if (margin is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(margin), $"margin is a fraction in [0, 1), not {margin}");
        var outcomes = new List<Outcome>(count);
        if (count == 0) return outcomes;
        var best = measure();
        var switched = true;
        for (var pass = 0; pass < passes && switched; pass++)
        {
            switched = false;
            for (var i = 0; i < count; i++)
            {
                if (pass > 0 && outcomes.Any(o => o.Pass == pass - 1 && o.Index == i && o.Kept)) continue;  // just switched: flipping back was the old state
                toggle(i);
                var ms = measure();
                var kept = ms < best * (1 - margin);
                outcomes.Add(new Outcome(pass, i, ms, best, kept));
                if (kept) (best, switched) = (ms, true);
                else toggle(i);
            }
        }
        return outcomes;
    }
}
