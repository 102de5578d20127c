using System.Diagnostics;
using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// The WebGPU capability probe for the edge client, kept out of timed requests. The last probe saved on this machine (with its
/// time, per adapter, by <see cref="WebGpuProbe"/>) is used at once; it is re-run in the background when older than
/// <see cref="EdgeOptions.ProbeMaxAge"/>, and once per process to notice a changed adapter (opening the device tells which one
/// is present). A request waits for a probe only when the machine has none cached at all (<see cref="ForRequest"/> says how
/// long). Without an adapter the result is null with the reason, so the client advertises no WebGPU and the gateway plans
/// cloud-only.
/// </summary>
internal sealed class EdgeDeviceProbe : IDisposable
{
    /// <summary>Opens the device present now and returns its probe (<paramref name="known"/> when still fresh and of that adapter); throws <see cref="WebGpuException"/> when there is none.</summary>
    internal delegate WebGpuProbeResult Measure(WebGpuProbeResult? known, TimeSpan maxAge, DateTimeOffset now);

    private readonly Measure _measure;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private WebGpuProbeResult? _result;
    private string? _problem;
    private bool _checkedThisProcess;
    private Task? _refresh;

    public EdgeDeviceProbe(string? cacheDirectory, TimeSpan maxAge)
        : this(Dawn(cacheDirectory ?? DefaultDirectory), WebGpuProbe.Latest(cacheDirectory ?? DefaultDirectory), maxAge, TimeProvider.System)
    {
    }

    internal EdgeDeviceProbe(Measure measure, WebGpuProbeResult? cached, TimeSpan maxAge, TimeProvider time)
    {
        _measure = measure;
        _result = cached;
        _maxAge = maxAge;
        _time = time;
    }

    private static string DefaultDirectory => Path.Combine(SplitComputeHome.Directory, "webgpu");

    /// <summary>What is known now, without waiting: the cached or last probe, or null (none yet, or no adapter: see <see cref="Problem"/>).</summary>
    public WebGpuProbeResult? Result
    {
        get
        {
            lock (_gate) return _result;
        }
    }

    public string? Problem
    {
        get
        {
            lock (_gate) return _problem ?? (_result is null && !_checkedThisProcess ? "not probed yet" : null);
        }
    }

    /// <summary>The running background refresh, if any (tests wait on it).</summary>
    internal Task? Refresh
    {
        get
        {
            lock (_gate) return _refresh;
        }
    }

    /// <summary>
    /// The probe for a split request. Never waits, except when this machine has no probe at all: then it probes now and
    /// <paramref name="waitedMs"/> says how long the request waited. Starts a background refresh when the probe is stale or the
    /// adapter was not checked yet in this process.
    /// </summary>
    public WebGpuProbeResult? ForRequest(out double waitedMs)
    {
        waitedMs = 0;
        lock (_gate)
        {
            if (_result is null && !_checkedThisProcess)
            {
                var clock = Stopwatch.StartNew();
                RunNow();
                waitedMs = clock.Elapsed.TotalMilliseconds;
                return _result;
            }
            var stale = _result is not null && _time.GetUtcNow() - _result.MeasuredAt >= _maxAge;
            if ((stale || !_checkedThisProcess) && _refresh is null or { IsCompleted: true } && !_disposed.IsCancellationRequested)
                _refresh = Task.Run(RefreshInBackground);
            return _result;
        }
    }

    private void RunNow()
    {
        try
        {
            _result = _measure(_result, _maxAge, _time.GetUtcNow());
            _problem = null;
        }
        catch (WebGpuException ex)
        {
            _result = null;
            _problem = $"{ex.GetType().Name}: {ex.Message}";
        }
        _checkedThisProcess = true;
    }

    private void RefreshInBackground()
    {
        WebGpuProbeResult? known;
        lock (_gate) known = _result;
        WebGpuProbeResult? fresh = null;
        string? problem = null;
        try
        {
            fresh = _measure(known, _maxAge, _time.GetUtcNow());  // a probe takes ~1 s: outside the lock, requests go on
        }
        catch (WebGpuException ex)
        {
            problem = $"{ex.GetType().Name}: {ex.Message}";
        }
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return;
            _result = fresh;
            _problem = problem;
            _checkedThisProcess = true;
        }
    }

    private static Measure Dawn(string directory) => (known, maxAge, now) =>
    {
        using var device = WebGpuDevice.Open();
        return WebGpuProbe.RunIfStale(device, directory, known, maxAge, now);
    };

    public void Dispose()
    {
        Task? refresh;
        lock (_gate)
        {
            _disposed.Cancel();
            refresh = _refresh;
        }
        // A probe in flight holds its own device; let it finish so no Dawn call outlives the client.
        try
        {
            refresh?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Its outcome no longer matters.
        }
        _disposed.Dispose();
    }
}
