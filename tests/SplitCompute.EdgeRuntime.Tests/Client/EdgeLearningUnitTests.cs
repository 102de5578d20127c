using Microsoft.Extensions.Time.Testing;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Prefetch;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Manifests;
using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.EdgeRuntime.Tests.Client;

/// <summary>Deterministic pieces of the edge's learning: the prefetch plan, the power state, and when the probe runs.</summary>
public sealed class EdgeLearningUnitTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"edge-unit-{Guid.NewGuid():N}");

    private static ShardEntry Entry(int? layer, long bytes) => new()
    {
        Kind = layer is null ? ShardKinds.FinalNorm : ShardKinds.Layer, Layer = layer, Url = $"/v1/shards/{Hash(layer)}", Sha256 = Hash(layer),
        Bytes = bytes, DType = "f32", Tensors = ["x"],
    };

    private static string Hash(int? layer) => (layer ?? 99).ToString("x64", System.Globalization.CultureInfo.InvariantCulture);

    private static ShardManifest Manifest(int layers, long bytes) => new()
    {
        Model = "m", Revision = "r", NLayer = layers, NEmbd = 8, NHead = 2, DType = "f32", LayerNormEpsilon = 1e-5,
        Shards = [.. Enumerable.Range(0, layers).Select(i => Entry(i, bytes))], FinalNorm = Entry(null, 10),
    };

    [Fact]
    public void The_prefetch_plan_takes_the_layers_below_k_nearest_first_skipping_cached_ones_within_the_budget()
    {
        var full = Manifest(12, 100);
        Assert.Equal([5, 4, 2, 1], PrefetchPlan.Next(full, 6, h => h == Hash(3), long.MaxValue).Select(e => e.Layer!.Value).Take(4));
        Assert.Equal([5, 4], PrefetchPlan.Next(full, 6, _ => false, 250).Select(e => e.Layer!.Value));
        Assert.Empty(PrefetchPlan.Next(full, 0, _ => false, long.MaxValue));
        Assert.Empty(PrefetchPlan.Next(full, 6, _ => false, 99));
    }

    [Fact]
    public void Power_comes_from_the_options_or_from_sysfs_where_a_battery_is()
    {
        Assert.Null(PowerSupply.OnBattery(Path.Combine(_directory, "absent")));
        Supply("AC", "Mains", online: "0");
        Supply("BAT0", "Battery", online: null);
        Assert.Equal(OperatingSystem.IsLinux() ? true : null, PowerSupply.OnBattery(_directory));
        File.WriteAllText(Path.Combine(_directory, "AC", "online"), "1\n");
        Assert.Equal(OperatingSystem.IsLinux() ? false : null, PowerSupply.OnBattery(_directory));
        Assert.Equal(new PowerState(true, true), PowerSupply.Resolve(true, true, _directory));
        Assert.Equal(new PowerState(OperatingSystem.IsLinux() && false, true), PowerSupply.Resolve(null, true, _directory));

        var desktop = Path.Combine(_directory, "desktop");
        Directory.CreateDirectory(desktop);
        Assert.Null(PowerSupply.Resolve(null, null, desktop));  // nothing known: no header
    }

    private void Supply(string name, string type, string? online)
    {
        var dir = Path.Combine(_directory, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "type"), type + "\n");
        if (online is not null) File.WriteAllText(Path.Combine(dir, "online"), online + "\n");
    }

    private static readonly WebGpuAdapterDescription Gpu = new("v", "a", "GPU", "", "vulkan", "discrete", 1, 2);

    private static WebGpuProbeResult Probe(DateTimeOffset at, WebGpuAdapterDescription? adapter = null) =>
        new(adapter ?? Gpu, new WebGpuLimits(1 << 28, 1 << 27, 16384, 256, 8, 65535), [], 100, "128x768x3072 f32", 5, 32 << 20, at);

    [Fact]
    public void Only_the_first_request_on_a_machine_without_a_cached_probe_waits_for_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(100));
        var runs = 0;
        using var probe = new EdgeDeviceProbe((known, age, now) => { runs++; return Probe(now); }, cached: null, TimeSpan.FromHours(24), clock);
        Assert.Null(probe.Result);  // reading it never probes
        Assert.Equal(0, runs);

        Assert.NotNull(probe.ForRequest(out var waited));
        Assert.Equal(1, runs);
        Assert.True(waited >= 0);
        Assert.NotNull(probe.ForRequest(out waited));
        Assert.Equal(0, waited);
        Assert.Null(probe.Refresh);  // fresh and checked in this process: nothing to do
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_cached_probe_is_used_at_once_and_refreshed_in_the_background_when_stale_or_the_adapter_changed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(100));
        var present = Gpu with { Device = "another GPU" };
        var gate = new ManualResetEventSlim();
        using var probe = new EdgeDeviceProbe((known, age, now) => { gate.Wait(); return Probe(now, present); },
            cached: Probe(clock.GetUtcNow() - TimeSpan.FromHours(25)), TimeSpan.FromHours(24), clock);

        var result = probe.ForRequest(out var waited);  // stale: answered at once, refreshed meanwhile
        Assert.Equal(0, waited);
        Assert.Equal("GPU", result!.Adapter.Device);
        gate.Set();
        await probe.Refresh!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("another GPU", probe.ForRequest(out _)!.Adapter.Device);
    }

    [Fact]
    public void A_machine_without_an_adapter_is_told_so_once_and_plans_cloud_only()
    {
        using var probe = new EdgeDeviceProbe((_, _, _) => throw new NoWebGpuAdapterException("no adapter here", found: null), null, TimeSpan.FromHours(24), TimeProvider.System);
        Assert.Null(probe.ForRequest(out _));
        Assert.Contains("no adapter here", probe.Problem, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
