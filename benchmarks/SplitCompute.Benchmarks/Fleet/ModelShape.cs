using SplitCompute.Gateway.Planning;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>A model's shape for the simulation: the planner's <see cref="ModelProfile"/> (per-layer shard hashes and f32 bytes) and the worker's speed on it.</summary>
internal sealed record ModelShape(ModelProfile Profile, DeviceSpeed Cpu, DeviceSpeed Gpu)
{
    public static ModelShape Gpt2 { get; } = Build("gpt2", 12, 768, DeviceSpeed.CpuGpt2, DeviceSpeed.GpuGpt2);

    /// <summary>gpt2-xl; its CPU speed scales the gpt2 figures by C^2 (results/cpu-layer.txt: 3.1-3.9x slower a block).</summary>
    public static ModelShape Gpt2Xl { get; } = Build("gpt2-xl", 48, 1600, new DeviceSpeed("cpu", 0.09 * 4.34, 6.0, 0.002), DeviceSpeed.GpuGpt2Xl);

    public static ModelShape ByName(string name) => name switch
    {
        "gpt2" or "gpt2-small" => Gpt2,
        "gpt2-xl" => Gpt2Xl,
        _ => throw new ArgumentException($"unknown model '{name}' (gpt2, gpt2-xl)"),
    };

    public DeviceSpeed Speed(string device) => device switch
    {
        "cpu" => Cpu,
        "gpu" or "cuda" => Gpu,
        _ => throw new ArgumentException($"unknown device '{device}' (cpu, gpu)"),
    };

    public int Layers => Profile.Layers;

    /// <summary>Every shard of the model (layers and final norm): what a client holding its shards has cached.</summary>
    public IReadOnlyList<string> AllShards { get; init; } = [];

    private static ModelShape Build(string name, int layers, int channels, DeviceSpeed cpu, DeviceSpeed gpu)
    {
        // One block's f32 parameters: 12 C^2 (qkv, proj, fc, fc-proj) + 13 C (biases, two LayerNorms).
        var layerBytes = ((12L * channels * channels) + (13L * channels)) * 4;
        var hashes = Enumerable.Range(0, layers).Select(l => Hash($"{name}/layer{l}")).ToArray();
        var profile = new ModelProfile(name, "sim", layers, channels, hashes, [.. Enumerable.Repeat(layerBytes, layers)], Hash($"{name}/ln_f"), 2L * channels * 4);
        return new ModelShape(profile, cpu, gpu) { AllShards = [.. hashes, profile.FinalNormHash!] };
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
