using System.Diagnostics;

namespace SplitCompute.Benchmarks;

/// <summary>Warm-up by time, then the median of timed runs: how the CPU block benchmarks time one call.</summary>
internal static class BlockTiming
{
    /// <summary>
    /// The JIT promotes hot loops to optimised code only after they have run a while; a process that has just started would
    /// otherwise be timed on its first-tier code (3x slower at gpt2, B = 1). Native libraries warm their thread pools too.
    /// </summary>
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(2);

    public static double MedianMs(Action action, int repetitions)
    {
        WarmUp(action);
        var times = new double[repetitions];
        for (var i = 0; i < repetitions; i++) times[i] = TimeMs(action);
        return Median(times);
    }

    /// <summary>Both warmed up, then timed alternately, one run of each per round; the median of each.</summary>
    public static (double FirstMs, double SecondMs) MedianMsInterleaved(Action first, Action second, int repetitions)
    {
        WarmUp(first);
        WarmUp(second);
        var (a, b) = (new double[repetitions], new double[repetitions]);
        for (var i = 0; i < repetitions; i++)
        {
            a[i] = TimeMs(first);
            b[i] = TimeMs(second);
        }
        return (Median(a), Median(b));
    }

    private static double TimeMs(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    public static void WarmUp(Action action)
    {
        var clock = Stopwatch.StartNew();
        for (var runs = 0; runs < 3 || clock.Elapsed < WarmUpTime; runs++) action();
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
