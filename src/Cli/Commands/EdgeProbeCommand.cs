using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `edge probe`: what the WebGPU capability probe finds on this machine - adapter, limits, features, measured matrix-product
/// GFLOP/s and upload GB/s (cached per adapter) - and the capability headers the edge client would send from it.
/// </summary>
internal static class EdgeProbeCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the probe as JSON" };
        var fresh = new Option<bool>("--fresh") { Description = "measure again instead of using the cached result" };
        var probe = new Command("probe", "probe this machine's WebGPU adapter (Dawn) and print what the gateway would be told") { json, fresh };
        probe.SetAction(result =>
        {
            WebGpuProbeResult found;
            try
            {
                using var device = WebGpuDevice.Open();
                found = result.GetValue(fresh) ? WebGpuProbe.Run(device) : WebGpuProbe.RunCached(device, Path.Combine(Paths.Home, "webgpu"));
            }
            catch (WebGpuException ex)
            {
                Console.Error.WriteLine($"no usable WebGPU adapter: {ex.Message}");
                Console.Error.WriteLine("the edge client then sends no WebGPU capability headers and the gateway answers from the cloud");
                return 3;
            }
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(found, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var a = found.Adapter;
            Console.WriteLine($"adapter:   {a.Device} (vendor '{a.Vendor}', architecture '{a.Architecture}', backend {a.Backend})");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"limits:    max buffer {found.Limits.MaxBufferSize:N0} B, max storage binding {found.Limits.MaxStorageBufferBindingSize:N0} B, workgroup storage {found.Limits.MaxComputeWorkgroupStorageSize:N0} B"));
            Console.WriteLine($"features:  {string.Join(", ", found.Features)}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"measured:  {found.MatmulGflops:F1} GFLOP/s ({found.MatmulShape} matrix product), upload {found.UploadGBps:F2} GB/s, at {found.MeasuredAt:u}"));
            if (found.Kernels is { } k)
            {
                Console.WriteLine($"kernels:   product {k.Product}, attention {k.Attention}, layernorm {k.LayerNorm} (tuned: " +
                    string.Join(", ", k.Milliseconds.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value:F2} ms"))) + ")");
            }
            Console.WriteLine("headers:");
            foreach (var (name, value) in CapabilityHeaderWriter.Write(found.ToCapabilities())) Console.WriteLine($"  {name}: {value}");
            return 0;
        });
        return probe;
    }
}
