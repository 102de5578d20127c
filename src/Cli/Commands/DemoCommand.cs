using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SplitCompute.Cli.Local;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Model.Config;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Init;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `demo`: the product's main job on one machine. Creates the embedded default model if absent, starts redis-server, a worker and
/// the gateway (`up`), then embeds the same texts through the edge runtime: with the split the gateway picks, cloud-only, with a
/// forced middle split, and with the gateway's pick again once the shards are cached. Every answer is compared with cloud-only,
/// each decision and timing breakdown is printed, and everything is stopped.
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
        var preset = new Option<string>("--preset")
        {
            Description = $"preset for a model that must be created: GPT-2 {string.Join(", ", Gpt2Config.PresetNames)}; sentence encoders {string.Join(", ", EncoderPreset.All.Select(p => p.Name))}",
            DefaultValueFactory = _ => "gpt2",
        };
        preset.AcceptOnlyFromAmong([.. Gpt2Config.PresetNames, .. EncoderPreset.All.Select(p => p.Name)]);
        var command = new Command("demo", "set up the default model and run split embeddings end to end: gateway, worker, edge") { model, preset };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result.GetValue(model)?.FullName ?? DefaultModelDirectory(result.GetValue(preset)!), result.GetValue(preset)!, cancellationToken));
        return command;
    }

    public static string DefaultModelDirectory(string preset) => Path.Combine(Paths.Home, "models", $"{preset}-seed42");

    private static async Task<int> RunAsync(string directory, string preset, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            output.WriteLine($"creating the default model ({preset}, seed 42) in {directory} ...");
            var clock = Stopwatch.StartNew();
            if (EncoderPreset.All.FirstOrDefault(p => p.Name == preset) is { } encoder) RandomEncoderWriter.Write(directory, encoder, seed: 42);
            else RandomModelWriter.Write(directory, Gpt2Config.Preset(preset), seed: 42);
            output.WriteLine($"  done in {clock.Elapsed.TotalSeconds:F1} s");
        }

        output.WriteLine("starting redis-server, 1 worker and the gateway on 127.0.0.1 ...");
        await using var cluster = await LocalCluster.StartAsync(directory, FreePort(), workers: 1, Path.Combine(Paths.Home, "logs"), output, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"gateway: {cluster.Gateway}");

        var cache = Path.Combine(Paths.Home, "demo-edge-cache");
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);  // start cold, so the first plan sees no cached shards
        // The tail runs on this machine's GPU through Dawn (lavapipe where there is no GPU); without an adapter the cloud answers.
        using var edge = EdgeCommand.Create(cluster.Gateway, model: null, cache, backend: EdgeRuntime.Client.EdgeBackend.WebGpu);

        var cloud = await edge.EmbedTextsAsync(Texts, SplitPreference.None, cancellationToken).ConfigureAwait(false);
        var n = cloud.N;
        var runs = new List<(string Label, EdgeResult Result)> { ("cloud-only (--no-split)", cloud) };
        runs.Insert(0, ("gateway's pick, cold cache", await edge.EmbedTextsAsync(Texts, SplitPreference.Auto, cancellationToken).ConfigureAwait(false)));
        runs.Add(($"forced split k={n / 2}", await edge.EmbedTextsAsync(Texts, SplitPreference.Force(n / 2), cancellationToken).ConfigureAwait(false)));
        runs.Add(("gateway's pick, warm cache", await edge.EmbedTextsAsync(Texts, SplitPreference.Auto, cancellationToken).ConfigureAwait(false)));

        var worst = 0.0;
        foreach (var (label, result) in runs)
        {
            var difference = result.Embeddings.SelectMany(e => e).Zip(cloud.Embeddings.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
            worst = Math.Max(worst, difference);
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== {label}: max |difference| from cloud-only = {difference:E2}"));
            EdgeReportWriter.WriteText(result, output);
        }
        output.WriteLine();
        output.WriteLine("stopping ...");
        if (worst > 1e-4)
        {
            Console.Error.WriteLine($"error: a split answer differs from cloud-only by {worst:E2}");
            return 1;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all answers agree with cloud-only within {worst:E2}"));
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
