namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Tuning one choice at a time (coordinate descent): every other option of each choice is tried in turn, the whole is timed,
/// and an option stays only where it beats the best time so far by more than <c>margin</c> (a fraction: noise must not
/// decide). An option rejected early may win once later choices have changed, so passes repeat while one changed something
/// (at most <c>passes</c>). Used for the block tuning (<see cref="WorkspaceTuning"/>): a product's best kernel depends on the
/// kernels beside it.
/// </summary>
internal static class CoordinateTuning
{
    /// <summary>What trying <paramref name="Option"/> of choice <paramref name="Choice"/> in pass <paramref name="Pass"/> (from 0) did.</summary>
    public sealed record Outcome(int Pass, int Choice, int Option, double Ms, double BestBeforeMs, bool Kept);

    /// <param name="measure">Times the whole with the choices as they are now.</param>
    public static IReadOnlyList<Outcome> Run(IReadOnlyList<ITunableChoice> choices, Func<double> measure, double margin, int passes = 2)
    {
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(passes);
        if (margin is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(margin), $"margin is a fraction in [0, 1), not {margin}");
        var outcomes = new List<Outcome>();
        if (!choices.Any(c => c.Count > 1)) return outcomes;
        var best = measure();
        var changed = true;
        for (var pass = 0; pass < passes && changed; pass++)
        {
            changed = false;
            for (var i = 0; i < choices.Count; i++)
            {
                var choice = choices[i];
                if (choice.Count < 2) continue;  // nothing to choose (and a choice without options has no option to set)
                var start = choice.Current;
                var keep = start;
                for (var option = 0; option < choice.Count; option++)
                {
                    if (option == start) continue;
                    choice.Current = option;
                    var ms = measure();
                    var kept = ms < best * (1 - margin);
                    outcomes.Add(new Outcome(pass, i, option, ms, best, kept));
                    if (kept) (best, keep) = (ms, option);
                }
                choice.Current = keep;
                changed |= keep != start;
            }
        }
        return outcomes;
    }
}
