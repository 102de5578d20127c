using System.CommandLine;
using System.Diagnostics;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Model.Shards;

namespace SplitCompute.Cli.Commands;

/// <summary>`model init`: writes a Hugging Face-format GPT-2 directory with seeded random weights.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"model shape: {string.Join(", ", Gpt2Config.PresetNames)}", DefaultValueFactory = _ => "tiny" };
        preset.AcceptOnlyFromAmong([.. Gpt2Config.PresetNames]);
        var seed = new Option<ulong>("--seed") { Description = "random seed; the same seed writes the same weights", DefaultValueFactory = _ => 42 };
        var output = new Option<DirectoryInfo>("--out") { Description = "directory to write (created if absent)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "weight dtype: f32, f16 or bf16", DefaultValueFactory = _ => "f32" };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16");

        var init = new Command("init", "write a complete Hugging Face model directory (config, safetensors, vocab) with seeded random weights")
        {
            preset, seed, output, dtype,
        };
        init.SetAction(result =>
        {
            var config = Gpt2Config.Preset(result.GetValue(preset)!);
            var directory = result.GetValue(output)!.FullName;
            var clock = Stopwatch.StartNew();
            RandomModelWriter.Write(directory, config, result.GetValue(seed), ParseDType(result.GetValue(dtype)!));
            Console.WriteLine($"wrote {result.GetValue(preset)} ({config.NLayer} layers x {config.NEmbd}) to {directory} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        var shardModel = new Argument<DirectoryInfo>("DIR") { Description = "Hugging Face GPT-2 model directory" };
        var shardOut = new Option<DirectoryInfo>("--out") { Description = "shard store directory (default: DIR/shards)" };
        var shard = new Command("shard", "cut the model into content-addressed per-layer shards (f32 and f16) for edge devices; reuses them while the weights are unchanged")
        {
            shardModel, shardOut,
        };
        shard.SetAction(result =>
        {
            var directory = result.GetValue(shardModel)!.FullName;
            var output = result.GetValue(shardOut)?.FullName ?? Path.Combine(directory, "shards");
            var clock = Stopwatch.StartNew();
            var index = ShardBuilder.EnsureShards(directory, output);
            var bytes = index.Shards.Sum(s => s.Bytes);
            Console.WriteLine($"{index.Shards.Length} shards of {index.Model}@{index.Revision} ({bytes / 1e6:F1} MB) in {output}, {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return new Command("model", "create and prepare model directories") { init, shard };
    }

    private static TensorDType ParseDType(string name) => name switch
    {
        "f16" => TensorDType.F16,
        "bf16" => TensorDType.BF16,
        _ => TensorDType.F32,
    };
}
