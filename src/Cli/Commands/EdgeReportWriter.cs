using System.Globalization;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Client;

namespace SplitCompute.Cli.Commands;

/// <summary>Prints an <see cref="EdgeResult"/>: the decision, each stage's time, the embeddings.</summary>
internal static class EdgeReportWriter
{
    public static void WriteJson(EdgeResult r, Stream output, Protocol.Embeddings.EncodingFormat format = Protocol.Embeddings.EncodingFormat.Float)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("split", r.K);
        json.WriteNumber("layers", r.N);
        json.WriteString("worker", r.Worker);
        json.WriteString("backend", r.Backend);
        json.WriteString("adapter", r.Adapter);
        json.WriteString("fallback", r.FallbackReason);
        json.WriteString("decision", r.Decision);
        json.WriteString("predicted", r.Predicted);
        json.WriteString("feedback", r.Feedback);
        json.WriteStartArray("warnings");
        foreach (var warning in r.Warnings) json.WriteStringValue(warning);
        json.WriteEndArray();
        JsonEmbeddings.Write(json, r.Embeddings, format);
        json.WriteStartObject("timings");
        json.WriteNumber("request_ms", Math.Round(r.Timings.RequestMs, 3));
        json.WriteNumber("download_ms", Math.Round(r.Timings.DownloadMs, 3));
        json.WriteNumber("downloaded_bytes", r.Timings.DownloadedBytes);
        json.WriteNumber("edge_ms", Math.Round(r.Timings.EdgeMs, 3));
        json.WriteNumber("total_ms", Math.Round(r.Timings.TotalMs, 3));
        json.WriteNumber("load_ms", Math.Round(r.Timings.LoadMs, 3));
        json.WriteNumber("loaded_bytes", r.Timings.LoadedBytes);
        json.WriteNumber("warmup_ms", Math.Round(r.WarmupMs, 3));
        json.WriteNumber("probe_wait_ms", Math.Round(r.ProbeWaitMs, 3));
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    public static void WriteText(EdgeResult r, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split k={r.K} of {r.N}: cloud ran [0,{r.K}) on {r.Worker ?? "?"}, {(r.K < r.N ? $"this machine ran [{r.K},{r.N}) on {r.Backend}" : "no edge layers")}; adapter: {r.Adapter ?? "n/a"}"));
        if (r.FallbackReason is not null) output.WriteLine($"fallback: {r.FallbackReason}");
        if (r.Predicted is not null) output.WriteLine($"predicted: {r.Predicted}");
        if (r.Feedback is not null) output.WriteLine($"feedback to the gateway: {r.Feedback}");
        foreach (var warning in r.Warnings) output.WriteLine($"warning: {warning}");
        var t = r.Timings;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"observed: request {t.RequestMs:F2} ms, shard download {t.DownloadMs:F2} ms ({t.DownloadedBytes / 1e6:F2} MB), edge {t.EdgeMs:F2} ms (loading weights {t.LoadMs:F2} ms, {t.LoadedBytes / 1e6:F2} MB{(t.LoadedBytes == 0 && r.K < r.N && !r.FellBack ? ": all resident" : "")}), total {t.TotalMs:F2} ms (one-time warm-up {r.WarmupMs:F2} ms{(r.ProbeWaitMs > 0 ? $", of it waiting for the first WebGPU probe on this machine {r.ProbeWaitMs:F2} ms" : "")})"));
        for (var i = 0; i < r.Embeddings.Length; i++)
        {
            var e = r.Embeddings[i];
            var norm = Math.Sqrt(e.Sum(v => (double)v * v));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{i}] dim {e.Length}, |e| = {norm:F4}: [{string.Join(", ", e.Take(5).Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))}, ...]"));
        }
    }
}
