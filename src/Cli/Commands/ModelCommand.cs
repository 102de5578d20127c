using System.CommandLine;
using System.Diagnostics;
using SplitCompute.Model.Config;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Init;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Model.Shards;

namespace SplitCompute.Cli.Commands;

/// <summary>`model init`: writes a Hugging Face-format GPT-2 directory, or a sentence encoder's, with seeded random weights.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        string[] presets = [.. Gpt2Config.PresetNames, .. EncoderPreset.All.Select(p => p.Name)];
        var preset = new Option<string>("--preset")
        {
            Description = $"model shape: GPT-2 {string.Join(", ", Gpt2Config.PresetNames)}; sentence encoders {string.Join(", ", EncoderPreset.All.Select(p => p.Name))}",
            DefaultValueFactory = _ => "tiny",
        };
        preset.AcceptOnlyFromAmong(presets);
        var seed = new Option<ulong>("--seed") { Description = "random seed; the same seed writes the same weights", DefaultValueFactory = _ => 42 };
        var output = new Option<DirectoryInfo>("--out") { Description = "directory to write (created if absent)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "weight dtype: f32, f16 or bf16", DefaultValueFactory = _ => "f32" };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16");

        var init = new Command("init", "write a complete Hugging Face model directory (config, safetensors, vocab) with seeded random weights; encoders in sentence-transformers' layout")
        {
            preset, seed, output, dtype,
        };
        init.SetAction(result =>
        {
            var directory = result.GetValue(output)!.FullName;
            var clock = Stopwatch.StartNew();
            if (EncoderPreset.All.FirstOrDefault(p => p.Name == result.GetValue(preset)) is { } encoder)
            {
                if (result.GetValue(dtype) != "f32")
                {
                    Console.Error.WriteLine($"model init: encoder presets are written in f32 only (asked: {result.GetValue(dtype)})");
                    return 2;
                }
                RandomEncoderWriter.Write(directory, encoder, result.GetValue(seed));
                var c = encoder.Config;
                Console.WriteLine($"wrote {encoder.Name} ({c.NumLayers} layers x {c.HiddenSize}, {encoder.Pooling.ToString().ToLowerInvariant()} pooling" +
                                  $"{(encoder.Normalize ? ", normalised" : "")}) to {directory} in {clock.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            var config = Gpt2Config.Preset(result.GetValue(preset)!);
            RandomModelWriter.Write(directory, config, result.GetValue(seed), ParseDType(result.GetValue(dtype)!));
            Console.WriteLine($"wrote {result.GetValue(preset)} ({config.NLayer} layers x {config.NEmbd}) to {directory} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        var shardModel = new Argument<DirectoryInfo>("DIR") { Description = "Hugging Face GPT-2 model directory, or a sentence encoder in sentence-transformers' layout" };
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
            var index = ModelShards.Ensure(directory, output);
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
