using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SplitCompute.Telemetry;

namespace SplitCompute.Testing;

/// <summary>
/// Records every measurement of our three meters, the way an OpenTelemetry reader sees them: the value and the measurement's
/// own tags only. Meter tags are deliberately left out: OTLP carries them as scope attributes, which never become Prometheus
/// labels, so a dashboard can group only by what is here.
/// </summary>
public sealed class MeasurementRecorder : IDisposable
{
    private static readonly string[] OurMeters = [TelemetryNames.Gateway, TelemetryNames.Worker, TelemetryNames.Edge];

    private readonly MeterListener _listener = new();

    public MeasurementRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!OurMeters.Contains(instrument.Meter.Name)) return;
            Published.Enqueue(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public ConcurrentQueue<Measurement> All { get; } = new();

    /// <summary>Every instrument of our meters that exists (the services running now, the edge's static ones once used).</summary>
    public ConcurrentQueue<Instrument> Published { get; } = new();

    /// <summary>Polls the observable gauges once (an exporter does this on every collection).</summary>
    public void ObserveGauges() => _listener.RecordObservableInstruments();

    public IEnumerable<Measurement> Of(string instrument) => All.Where(m => m.Instrument == instrument);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var own = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags) own[tag.Key] = tag.Value;
        All.Enqueue(new Measurement(instrument.Name, instrument.Meter.Name, value, own));
    }

    public void Dispose() => _listener.Dispose();

    public sealed record Measurement(string Instrument, string Meter, double Value, Dictionary<string, object?> Tags)
    {
        public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
    }
}
