using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;
using SplitCompute.Model.Tokenization;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `demo`: the product's main job on one machine. Today: create the embedded default model if absent, embed a few texts unsplit
/// and split at the middle layer through the layer-range API, show that both agree, and print the timings of each stage.
/// </summary>
internal static class DemoCommand
{
    private static readonly string[] Texts =
    [
        "SplitCompute runs the first layers in the cloud and the rest on your GPU.",
        "Hello world",
        "Layer-level load balancing keeps GPUs busy and users fast.",
    ];

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "model directory; the default preset is written there if it is absent" };
        var preset = new Option<string>("--preset") { Description = "preset for a model that must be created", DefaultValueFactory = _ => "gpt2" };
        preset.AcceptOnlyFromAmong([.. Gpt2Config.PresetNames]);
        var command = new Command("demo", "set up the default model and run a split embedding end to end") { model, preset };
        command.SetAction(result => Run(result.GetValue(model)?.FullName ?? DefaultModelDirectory(result.GetValue(preset)!), result.GetValue(preset)!));
        return command;
    }

    public static string DefaultModelDirectory(string preset) =>
        Path.Combine(Environment.GetEnvironmentVariable("SPLITCOMPUTE_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".splitcompute"), "models", $"{preset}-seed42");

    private static int Run(string directory, string preset)
    {
        var output = Console.Out;
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            output.WriteLine($"creating the default model ({preset}, seed 42) in {directory} ...");
            var clock = Stopwatch.StartNew();
            RandomModelWriter.Write(directory, Gpt2Config.Preset(preset), seed: 42);
            output.WriteLine($"  done in {clock.Elapsed.TotalSeconds:F1} s");
        }

        using var weights = Gpt2Weights.Load(directory);
        using var backend = new CpuBackend(weights);
        var tokenizer = Gpt2Tokenizer.FromDirectory(directory);
        var n = weights.Config.NLayer;
        var k = n / 2;
        var batch = TokenBatch.FromSequences([.. Texts.Select(tokenizer.Encode)]);
        output.WriteLine($"model: {n} layers x {weights.Config.NEmbd} channels; batch of {batch.BatchSize}, T = {batch.SequenceLength}; backend {backend.Name}");

        SplitEmbedder.Embed(backend, backend, batch, null, Pooling.Mean);  // warm-up: first-touch of mapped weights
        var (whole, wholeTimings) = SplitEmbedder.Embed(backend, backend, batch, null, Pooling.Mean);
        var (split, splitTimings) = SplitEmbedder.Embed(backend, backend, batch, k, Pooling.Mean);

        var maxDifference = whole.Zip(split).Max(pair => pair.First.Zip(pair.Second).Max(v => Math.Abs(v.First - v.Second)));
        Print(output, "unsplit", n, n, wholeTimings);
        Print(output, "split", k, n, splitTimings);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"split vs unsplit: max |difference| = {maxDifference:E2} over {whole.Length} embeddings of {whole[0].Length}"));
        if (maxDifference > 1e-4)
        {
            Console.Error.WriteLine("error: the split result differs from the unsplit one");
            return 1;
        }
        return 0;
    }

    private static void Print(TextWriter output, string label, int k, int n, SplitTimings t) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-8} layers [0,{k}) + [{k},{n}): embed {t.EmbedMs:F2} ms, head {t.HeadMs:F2} ms, tail {t.TailMs:F2} ms, finish {t.FinishMs:F2} ms, total {t.TotalMs:F2} ms"));
}
