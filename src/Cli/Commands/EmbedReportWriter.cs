using System.Globalization;
using System.Text.Json;

namespace SplitCompute.Cli.Commands;

/// <summary>Prints an <see cref="EmbedReport"/> for people (text) or for tools (JSON).</summary>
internal static class EmbedReportWriter
{
    public static void WriteJson(EmbedReport report, Stream output)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("split", report.Split);
        json.WriteNumber("layers", report.Layers);
        json.WriteString("backend", report.Backend);
        json.WriteString("kernels", report.Kernels);
        json.WriteString("pooling", report.Pooling.ToString().ToLowerInvariant());
        json.WriteStartArray("tokens");
        foreach (var count in report.TokenCounts) json.WriteNumberValue(count);
        json.WriteEndArray();
        JsonEmbeddings.Write(json, report.Embeddings);
        json.WriteStartObject("timings");
        json.WriteNumber("load_ms", Math.Round(report.LoadMs, 3));
        json.WriteNumber("tokenize_ms", Math.Round(report.TokenizeMs, 3));
        json.WriteNumber("embed_ms", Math.Round(report.Timings.EmbedMs, 3));
        json.WriteNumber("head_ms", Math.Round(report.Timings.HeadMs, 3));
        json.WriteNumber("tail_ms", Math.Round(report.Timings.TailMs, 3));
        json.WriteNumber("finish_ms", Math.Round(report.Timings.FinishMs, 3));
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    public static void WriteText(EmbedReport report, TextWriter output)
    {
        var t = report.Timings;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Embeddings.Length} sequence(s), tokens [{string.Join(", ", report.TokenCounts)}], backend {report.Backend}, " +
            $"layers [0,{report.Split}) then [{report.Split},{report.Layers}), pooling {report.Pooling.ToString().ToLowerInvariant()}"));
        output.WriteLine($"kernels: {report.Kernels}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"timings: load {report.LoadMs:F1} ms, tokenize {report.TokenizeMs:F2} ms, embed {t.EmbedMs:F2} ms, head {t.HeadMs:F2} ms, " +
            $"tail {t.TailMs:F2} ms, finish {t.FinishMs:F2} ms"));
        for (var i = 0; i < report.Embeddings.Length; i++)
        {
            var e = report.Embeddings[i];
            var norm = Math.Sqrt(e.Sum(v => (double)v * v));
            var head = string.Join(", ", e.Take(6).Select(v => v.ToString("F5", CultureInfo.InvariantCulture)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{i}] dim {e.Length}, |e| = {norm:F4}: [{head}, ...]"));
        }
    }
}
