namespace SplitCompute.Benchmarks.Fleet;

/// <summary>One request's part of a pass: its tokens, rows (B x T, padding included) and exit k.</summary>
internal readonly record struct PassRow(int Tokens, int Rows, int K);

/// <summary>When a request of a pass is answered and how much of the pass's device time is its own.</summary>
internal readonly record struct PassShare(double DoneAfterMs, double BusyMs, double LayerBusyMs);

/// <summary>
/// The batch exit rule of issue 18 item 1, as the simulated worker applies it: a pass embeds every request, then runs layer l
/// only over the rows whose k is above l; a request leaves (is answered) when the layer of its exit ends, so a k = 0 row costs
/// its embeddings and nothing else. Busy time is attributed by row-layers: each request pays its own embeddings, its rows'
/// share of every layer it took part in (<see cref="DeviceSpeed.MsPerLayerRow"/> per row) and of that layer's fixed cost in
/// proportion to its rows.
/// </summary>
internal static class BatchPass
{
    /// <summary>Fills <paramref name="shares"/> (one per row, same order) and returns the pass's duration.</summary>
    public static double Schedule(IReadOnlyList<PassRow> rows, DeviceSpeed speed, Span<PassShare> shares)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(speed);
        if (shares.Length < rows.Count) throw new ArgumentException("one share per row", nameof(shares));
        var t = 0.0;
        var maxK = 0;
        Span<double> layerBusy = rows.Count <= 256 ? stackalloc double[rows.Count] : new double[rows.Count];
        Span<double> embed = rows.Count <= 256 ? stackalloc double[rows.Count] : new double[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            embed[i] = rows[i].Tokens * speed.EmbedMsPerToken;
            layerBusy[i] = 0;
            t += embed[i];
            maxK = Math.Max(maxK, rows[i].K);
        }
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].K == 0) shares[i] = new PassShare(t, embed[i], 0);
        }
        for (var layer = 0; layer < maxK; layer++)
        {
            long active = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                if (rows[i].K > layer) active += rows[i].Rows;
            }
            if (active == 0) continue;
            var layerMs = speed.LayerFixedMs + (active * speed.MsPerLayerRow);
            t += layerMs;
            for (var i = 0; i < rows.Count; i++)
            {
                if (rows[i].K <= layer) continue;
                layerBusy[i] += layerMs * rows[i].Rows / active;
                if (rows[i].K == layer + 1) shares[i] = new PassShare(t, embed[i] + layerBusy[i], layerBusy[i]);
            }
        }
        return t;
    }
}
