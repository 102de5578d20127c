using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Protocol.Workers;

/// <summary>
/// <see cref="HeaderNames.WorkerMs"/>: what one request really cost its worker, in milliseconds.
/// <c>busy</c> = device time attributed to it (its share of every pass stage it was in); <c>full</c> = the worker's estimate of
/// what the same request would have cost run through all N layers (so full - busy is the realised saving of a split);
/// <c>queue</c> = time waiting in the worker's batcher; <c>total</c> = request received by the worker to response headers written.
/// Gateway and edge read it with this one type so neither re-declares the grammar.
/// </summary>
public sealed record WorkerTiming(double BusyMs, double FullMs, double QueueMs, double TotalMs)
{
    /// <summary>
    /// The request's time at the worker not spent on its own work: waiting for the pass before it, and its batch-mates' share of
    /// its own pass. This is what the planner's queue term predicts (the work ahead of a request, whether it runs before the
    /// request's pass or beside it in the same pass); <see cref="QueueMs"/> is only the first part.
    /// </summary>
    public double WaitMs => Math.Max(0, TotalMs - BusyMs);

    /// <summary><c>busy=&lt;ms&gt;; full=&lt;ms&gt;; queue=&lt;ms&gt;; total=&lt;ms&gt;</c>: bare decimals, 3 decimals, invariant culture.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"busy={Clamp(BusyMs):F3}; full={Clamp(FullMs):F3}; queue={Clamp(QueueMs):F3}; total={Clamp(TotalMs):F3}");

    /// <summary>
    /// False (and <paramref name="timing"/> null) unless all four members are present as non-negative decimals (§3.2 numbers);
    /// malformed syntax refuses the whole value; unknown well-formed members are ignored so the worker may add more. Never throws.
    /// </summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out WorkerTiming? timing)
    {
        timing = null;
        if (string.IsNullOrEmpty(value) || value.Length > CapabilityBounds.MaxHeaderLength) return false;
        var warnings = new WarningList();
        var members = HeaderSyntax.ParseMembers(value, HeaderNames.WorkerMs, warnings);
        if (warnings.ToList().Count > 0) return false;  // one writer (the worker): a malformed member means a broken or tampered header
        bool Number(string key, out double ms)
        {
            ms = 0;
            var member = members.FirstOrDefault(m => m.Key == key);
            return member.Value is not null && !member.Quoted && HeaderSyntax.TryParseNumber(member.Value, out ms) && double.IsFinite(ms);
        }
        if (!Number("busy", out var busy) || !Number("full", out var full) || !Number("queue", out var queue) || !Number("total", out var total)) return false;
        timing = new WorkerTiming(busy, full, queue, total);
        return true;
    }

    /// <summary>The grammar has no sign, NaN or infinity: a negative or non-finite figure is written as 0.</summary>
    private static double Clamp(double ms) => double.IsFinite(ms) && ms > 0 ? ms : 0;
}
