namespace SplitCompute.Benchmarks.Fleet;

/// <summary>A request as the simulated worker sees it, with what happened to it filled in as it runs.</summary>
internal sealed class SimJob(int tokens, int rows, int k, Action<SimJob> done)
{
    public int Tokens { get; } = tokens;
    public int Rows { get; } = rows;
    public int K { get; } = k;
    public Action<SimJob> Done { get; } = done;

    public double ArrivedMs { get; set; }
    public double StartedMs { get; set; }
    public double DoneMs { get; set; }

    /// <summary>Device milliseconds attributed to this request (its embeddings and its rows' share of the layers it ran).</summary>
    public double BusyMs { get; set; }

    public double QueueMs => StartedMs - ArrivedMs;
}
