namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Tuning by switching one choice at a time: each of <c>count</c> two-way choices is flipped in turn, the whole is timed, and
/// the flip stays only where it beats the best time so far by more than <c>margin</c> (a fraction: noise must not decide).
/// Used for the block tuning (<see cref="CudaBackend"/>), where a product's best kind depends on the kernels beside it.
/// </summary>
internal static class GreedySwitching
{
    /// <summary>What switching choice <paramref name="Index"/> did: its time, the best before it, and whether it stayed.</summary>
    public sealed record Outcome(int Index, double SwitchedMs, double BestBeforeMs, bool Kept);

    /// <param name="toggle">Flips choice i (calling it twice restores it).</param>
    /// <param name="measure">Times the whole with the choices as they are now.</param>
    public static IReadOnlyList<Outcome> Run(int count, Action<int> toggle, Func<double> measure, double margin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (margin is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(margin), $"margin is a fraction in [0, 1), not {margin}");
        var outcomes = new List<Outcome>(count);
        if (count == 0) return outcomes;
        var best = measure();
        for (var i = 0; i < count; i++)
        {
            toggle(i);
            var ms = measure();
            var kept = ms < best * (1 - margin);
            outcomes.Add(new Outcome(i, ms, best, kept));
            if (kept) best = ms;
            else toggle(i);
        }
        return outcomes;
    }
}
