using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Probe;

/// <summary>
/// The capability probe: identity, limits and features of the adapter, plus a calibration that takes a second or two on
/// lavapipe: the kernel tuning (<see cref="KernelTuning"/>: every form of the block's kernels timed, the fastest chosen), whose
/// chosen product's rate on a gpt2-sized MLP product (128 x 768 x 3072, the edge's typical work) is the GFLOP/s the planner
/// is told, and upload GB/s of a 32 MiB queue write. Results are cached per adapter under $SPLITCOMPUTE_HOME/webgpu/ (one JSON file each),
/// because a probe is a property of the hardware and driver, not of the request.
/// </summary>
public static class WebGpuProbe
{
    /// <summary>Bumped when the calibration changes, so old cached figures are not reused.</summary>
    public const int Version = 3;  // 2: the calibration runs matmul_rows.wgsl; 3: the kernel tuning, and its product's rate

    private const int M = 128, K = 768, N = 3072;
    private const int UploadBytes = 32 << 20;
    private const int Runs = 3;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The cached result for this device's adapter, or a fresh probe saved for next time.</summary>
    public static WebGpuProbeResult RunCached(WebGpuDevice device, string? cacheDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var path = CachePath(device.Description, cacheDirectory ?? Path.Combine(SplitComputeHome.Directory, "webgpu"));
        if (TryRead(path) is { } cached) return cached;
        var result = Run(device);
        Save(path, result);
        return result;
    }

    /// <summary>The cache file for an adapter: a hash of everything that identifies it, and of the probe version.</summary>
    public static string CachePath(WebGpuAdapterDescription adapter, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        var identity = $"{Version}|{adapter.Vendor}|{adapter.Architecture}|{adapter.Device}|{adapter.Description}|{adapter.Backend}|{adapter.VendorId}|{adapter.DeviceId}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        return Path.Combine(cacheDirectory, $"probe-{hash}.json");
    }

    /// <summary>Probes now (no cache).</summary>
    public static WebGpuProbeResult Run(WebGpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var gate = device.Gate.EnterScope();
        var kernels = KernelTuning.Measure(device);
        var productMs = kernels.Milliseconds["product/" + kernels.Product];
        return new WebGpuProbeResult(device.Description, device.Limits, device.Features,
            2.0 * M * K * N / (productMs * 1e6), $"{M}x{K}x{N} f32, {kernels.Product}", MeasureUploadGBps(device), UploadBytes, DateTimeOffset.UtcNow)
        {
            Kernels = kernels,
        };
    }

    /// <summary>
    /// The kernel forms tuned for <paramref name="adapter"/> by a probe cached in <paramref name="cacheDirectory"/> (any age: they
    /// are a property of the adapter and driver), or null where none was saved.
    /// </summary>
    public static KernelChoice? CachedKernels(WebGpuAdapterDescription adapter, string cacheDirectory) =>
        TryRead(CachePath(adapter, cacheDirectory)) is { Kernels: { } kernels } found && found.Adapter == adapter ? kernels : null;

    private static double MeasureUploadGBps(WebGpuDevice device)
    {
        using var target = GpuBuffer.Create(device, "probe upload", UploadBytes, WebGpu.Interop.WGPUBufferUsage.CopyDst | WebGpu.Interop.WGPUBufferUsage.Storage);
        var data = new byte[UploadBytes];
        Random.Shared.NextBytes(data);
        target.Write<byte>(device, data);  // the first write into a new buffer also allocates it: not what a steady upload costs
        device.WaitForQueue("probe upload warm-up");
        var times = new double[Runs];
        for (var run = 0; run < Runs; run++)
        {
            var clock = Stopwatch.StartNew();
            target.Write<byte>(device, data);
            device.WaitForQueue("probe upload");
            times[run] = clock.Elapsed.TotalSeconds;
        }
        return UploadBytes / Median(times) / 1e9;
    }

    /// <summary>
    /// The result for this device's adapter: <paramref name="known"/> or its cache file when younger than <paramref name="maxAge"/>,
    /// else a fresh probe, saved. For callers that keep a result and refresh it in the background.
    /// </summary>
    public static WebGpuProbeResult RunIfStale(WebGpuDevice device, string cacheDirectory, WebGpuProbeResult? known, TimeSpan maxAge, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (known is not null && known.Adapter == device.Description && now - known.MeasuredAt < maxAge) return known;
        var path = CachePath(device.Description, cacheDirectory);
        if (TryRead(path) is { } cached && now - cached.MeasuredAt < maxAge) return cached;
        var result = Run(device);
        Save(path, result);
        return result;
    }

    /// <summary>The most recent cached result of any adapter in <paramref name="cacheDirectory"/>, or null; reads no device.</summary>
    public static WebGpuProbeResult? Latest(string cacheDirectory)
    {
        if (!Directory.Exists(cacheDirectory)) return null;
        return Directory.EnumerateFiles(cacheDirectory, "probe-*.json").Select(TryRead).OfType<WebGpuProbeResult>()
            .MaxBy(r => r.MeasuredAt);
    }

    private static WebGpuProbeResult? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<WebGpuProbeResult>(File.ReadAllBytes(path), Json) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;  // a damaged or unreadable cache entry is simply measured again
        }
    }

    private static void Save(string path, WebGpuProbeResult result)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(result, Json));
        File.Move(temporary, path, overwrite: true);  // atomic: a concurrent reader sees the old file or the new one
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
