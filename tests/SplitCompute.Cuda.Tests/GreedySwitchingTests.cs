using SplitCompute.Cuda.Backend;
using Xunit;

namespace SplitCompute.Cuda.Tests;

public class GreedySwitchingTests
{
    // Three two-way choices with a cost each way; the whole costs their sum.
    private static readonly (double Off, double On)[] Costs = [(10, 8), (5, 5.01), (7, 9)];

    private static (IReadOnlyList<GreedySwitching.Outcome> Outcomes, bool[] State, int Measures) Run(double margin)
    {
        var state = new bool[Costs.Length];
        var measures = 0;
        var outcomes = GreedySwitching.Run(Costs.Length, i => state[i] = !state[i],
            () => { measures++; return state.Select((on, i) => on ? Costs[i].On : Costs[i].Off).Sum(); }, margin);
        return (outcomes, state, measures);
    }

    [Fact]
    public void A_switch_stays_only_where_the_whole_gets_faster()
    {
        var (outcomes, state, measures) = Run(margin: 0.001);
        Assert.Equal([true, false, false], state);
        Assert.Equal([true, false, false, false, false], outcomes.Select(o => o.Kept));
        Assert.Equal(22, outcomes[0].BestBeforeMs);
        Assert.Equal(20, outcomes[0].SwitchedMs);
        Assert.Equal(20, outcomes[2].BestBeforeMs);  // measured against the kept switch, not the start
        Assert.Equal(22, outcomes[2].SwitchedMs);
        Assert.Equal(6, measures);  // the start, one per choice, then a second pass over the two not switched
        Assert.Equal([0, 0, 0, 1, 1], outcomes.Select(o => o.Pass));
    }

    [Fact]
    public void A_choice_that_only_pays_after_another_switched_wins_in_the_second_pass()
    {
        // Choice 0 on pays only once choice 1 is on (its cost depends on its neighbour, as a product's does on the kernel before it).
        var state = new bool[2];
        double Cost() => (state[0] ? (state[1] ? 3 : 12) : 10) + (state[1] ? 4 : 6);
        var outcomes = GreedySwitching.Run(2, i => state[i] = !state[i], Cost, margin: 0.001);
        Assert.Equal([true, true], state);
        Assert.Equal([(0, 0, false), (0, 1, true), (1, 0, true)], outcomes.Select(o => (o.Pass, o.Index, o.Kept)));
        Assert.Equal(7, outcomes[^1].SwitchedMs);
    }

    [Fact]
    public void A_gain_within_the_margin_is_noise_and_the_switch_is_undone()
    {
        var (_, state, _) = Run(margin: 0.10);  // 22 -> 20 is 9 %: not enough
        Assert.All(state, on => Assert.False(on));
    }

    [Fact]
    public void Nothing_to_switch_measures_nothing_and_a_bad_margin_is_refused()
    {
        var measured = false;
        Assert.Empty(GreedySwitching.Run(0, _ => { }, () => { measured = true; return 1; }, 0.01));
        Assert.False(measured);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GreedySwitching.Run(1, _ => { }, () => 1, 1.5));
        Assert.Contains("1.5", error.Message);
    }
}
