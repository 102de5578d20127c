using System.Text;
using static SplitCompute.EndToEnd.Tests.Otlp.ProtobufFields;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>A span as an OTLP trace batch carries it, with the service.name of its resource and the name of its scope (source).</summary>
internal sealed record ExportedSpan(
    string Service, string Scope, string Name, string TraceId, string SpanId, string ParentSpanId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>A metric as an OTLP metrics batch carries it: its data points' attributes are what Prometheus labels come from.</summary>
internal sealed record ExportedMetric(string Service, string Scope, string Name, IReadOnlyList<IReadOnlyDictionary<string, string>> Points);

/// <summary>
/// Reads ExportTraceServiceRequest and ExportMetricsServiceRequest bodies (opentelemetry-proto, trace.proto and metrics.proto;
/// field numbers as there). Attribute values are rendered as text: strings as they are, numbers invariantly.
/// </summary>
internal static class OtlpDecoding
{
    public static IEnumerable<ExportedSpan> Spans(byte[] body) =>
        from resourceSpans in Messages(body, 1)
        let service = ServiceName(resourceSpans)
        from scopeSpans in Messages(resourceSpans, 2)
        let scope = ScopeName(scopeSpans)
        from span in Messages(scopeSpans, 2)
        let fields = Read(span)
        select new ExportedSpan(service, scope, Text(fields, 5), Hex(fields, 1), Hex(fields, 2), Hex(fields, 4), Attributes(span, 9));

    public static IEnumerable<ExportedMetric> Metrics(byte[] body) =>
        from resourceMetrics in Messages(body, 1)
        let service = ServiceName(resourceMetrics)
        from scopeMetrics in Messages(resourceMetrics, 2)
        let scope = ScopeName(scopeMetrics)
        from metric in Messages(scopeMetrics, 2)
        select new ExportedMetric(service, scope, Text(Read(metric), 1), Points(metric));

    /// <summary>Gauge (5) and sum (7) hold NumberDataPoints (attributes 7), histogram (9) HistogramDataPoints (attributes 9).</summary>
    private static List<IReadOnlyDictionary<string, string>> Points(ReadOnlyMemory<byte> metric)
    {
        var points = new List<IReadOnlyDictionary<string, string>>();
        foreach (var data in Read(metric).Where(f => f.Number is 5 or 7 or 9))
        {
            var attributesField = data.Number == 9 ? 9 : 7;
            points.AddRange(Messages(data.Bytes, 1).Select(point => Attributes(point, attributesField)));
        }
        return points;
    }

    private static string ServiceName(ReadOnlyMemory<byte> resourceBatch) =>
        Messages(resourceBatch, 1).Select(resource => Attributes(resource, 1)).SingleOrDefault()?.GetValueOrDefault("service.name") ?? "";

    private static string ScopeName(ReadOnlyMemory<byte> scopeBatch) =>
        Messages(scopeBatch, 1).Select(scope => Text(Read(scope), 1)).SingleOrDefault() ?? "";

    /// <summary>KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string 1, bool 2, int 3, double 4, ... }.</summary>
    private static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Messages(message, field).Select(Read))
        {
            var value = pair.Where(f => f.Number == 2).Select(f => Read(f.Bytes).FirstOrDefault()).FirstOrDefault();
            attributes[Text(pair, 1)] = value.Number switch
            {
                1 => Encoding.UTF8.GetString(value.Bytes.Span),
                2 => value.Scalar != 0 ? "true" : "false",
                3 => ((long)value.Scalar).ToString(System.Globalization.CultureInfo.InvariantCulture),
                4 => BitConverter.UInt64BitsToDouble(value.Scalar).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => $"(AnyValue field {value.Number})",
            };
        }
        return attributes;
    }

    private static string Text(List<Field> fields, int number) =>
        fields.Where(f => f.Number == number).Select(f => Encoding.UTF8.GetString(f.Bytes.Span)).FirstOrDefault() ?? "";

    private static string Hex(List<Field> fields, int number) =>
        fields.Where(f => f.Number == number).Select(f => Convert.ToHexStringLower(f.Bytes.Span)).FirstOrDefault() ?? "";
}
