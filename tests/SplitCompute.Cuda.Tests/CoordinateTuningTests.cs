using SplitCompute.Cuda.Backend;
using Xunit;

namespace SplitCompute.Cuda.Tests;

public class CoordinateTuningTests
{
    private sealed class Choice(string label, int count) : ITunableChoice
    {
        public string Label => label;
        public int Count => count;
        private int _current;
        public int Sets { get; private set; }

        public int Current
        {
            get => _current;
            set
            {
                if (value < 0 || value >= count) throw new ArgumentOutOfRangeException(nameof(value));
                (_current, Sets) = (value, Sets + 1);
            }
        }

        public string OptionName(int option) => $"{label}{option}";
    }

    [Fact]
    public void Each_choice_keeps_its_fastest_option_and_a_slower_one_is_undone()
    {
        // Costs per option of three choices; the whole costs their sum.
        double[][] costs = [[10, 8, 9], [5, 5.01], [7, 9, 6.99]];
        Choice[] choices = [new("a", 3), new("b", 2), new("c", 3)];
        var measures = 0;
        double Measure() { measures++; return choices.Select((c, i) => costs[i][c.Current]).Sum(); }
        var outcomes = CoordinateTuning.Run(choices, Measure, margin: 0.001);
        Assert.Equal([1, 0, 0], choices.Select(c => c.Current));  // c's 6.99 against 7 is within the margin: noise
        var first = outcomes.Where(o => o.Pass == 0).ToArray();
        Assert.Equal([(0, 1, true), (0, 2, false), (1, 1, false), (2, 1, false), (2, 2, false)], first.Select(o => (o.Choice, o.Option, o.Kept)));
        Assert.Equal(22, first[0].BestBeforeMs);
        Assert.Equal(20, first[1].BestBeforeMs);  // against the kept option, not the start
        Assert.Equal(21, first[1].Ms);
        Assert.Equal(1 + 5 + 5, measures);  // the start, a first pass of five, and a second (a changed) of five
    }

    [Fact]
    public void An_option_that_only_pays_after_another_choice_changed_wins_in_the_second_pass()
    {
        // Choice 0's option 1 pays only once choice 1 is on option 1 (as a product's kernel depends on the one before it).
        Choice[] choices = [new("a", 2), new("b", 2)];
        double Measure() => (choices[0].Current == 1 ? (choices[1].Current == 1 ? 3 : 12) : 10) + (choices[1].Current == 1 ? 4 : 6);
        var outcomes = CoordinateTuning.Run(choices, Measure, margin: 0.001);
        Assert.Equal([1, 1], choices.Select(c => c.Current));
        Assert.Contains(outcomes, o => o is { Pass: 1, Choice: 0, Option: 1, Kept: true, Ms: 7 });
    }

    [Fact]
    public void A_choice_without_options_is_left_alone()
    {
        // A product with no tuned candidates (our kernel unavailable) has no options: it must never be set.
        var empty = new Choice("none", 0);
        Choice[] choices = [empty, new("a", 2)];
        var outcomes = CoordinateTuning.Run(choices, () => choices[1].Current == 1 ? 1 : 2, margin: 0.01);
        Assert.Equal(1, choices[1].Current);
        Assert.All(outcomes, o => Assert.Equal(1, o.Choice));
        Assert.Equal(0, empty.Sets);
    }

    [Fact]
    public void A_gain_within_the_margin_changes_nothing_and_bad_arguments_are_refused()
    {
        Choice[] choices = [new("a", 2)];
        var outcomes = CoordinateTuning.Run(choices, () => choices[0].Current == 1 ? 9.5 : 10, margin: 0.10);
        Assert.Equal(0, choices[0].Current);
        Assert.Single(outcomes);  // one pass: nothing changed
        var measured = false;
        Assert.Empty(CoordinateTuning.Run([new Choice("only", 1)], () => { measured = true; return 1; }, 0.01));
        Assert.False(measured);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CoordinateTuning.Run(choices, () => 1, 1.5));
        Assert.Contains("1.5", error.Message);
    }
}
