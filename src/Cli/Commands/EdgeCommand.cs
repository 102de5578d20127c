using System.CommandLine;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Model.Cpu;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Commands;

/// <summary>`edge embed`: the edge runtime against a gateway: the split it picks (or none / a forced k), shards cached, tail run here.</summary>
internal static class EdgeCommand
{
    public static Command Create()
    {
        var gateway = new Option<Uri>("--gateway")
        {
            Description = "gateway URL, e.g. http://127.0.0.1:8080",
            Required = true,
            CustomParser = result =>
            {
                if (Uri.TryCreate(result.Tokens.Single().Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
                result.AddError($"--gateway: '{result.Tokens.Single().Value}' is not an http(s) URL");
                return null;
            },
        };
        var text = new Option<string[]>("--text") { Description = "a text to embed (repeat for a batch)" };
        var ids = new Option<string>("--ids") { Description = "token ids instead of texts: \"1,2,3;4,5\"" };
        var noSplit = new Option<bool>("--no-split") { Description = "ask for a cloud-only answer" };
        var forceSplit = new Option<int?>("--force-split") { Description = "ask for split point K (honoured when the gateway allows forced splits)" };
        var model = new Option<string?>("--model") { Description = "model name (default: the gateway's default)" };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = "shard cache directory (default: $SPLITCOMPUTE_HOME/edge-cache)" };
        var json = new Option<bool>("--json") { Description = "print {\"split\",\"layers\",\"embeddings\",\"timings\",...}" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for a gateway that requires one (default: $SPLITCOMPUTE_API_KEY)" };
        var backend = new Option<string>("--backend") { Description = "where the tail layers run: webgpu (this machine's GPU through Dawn) or cpu", DefaultValueFactory = _ => "webgpu" };
        backend.AcceptOnlyFromAmong("webgpu", "cpu");
        var manifestKey = new Option<FileInfo?>("--manifest-key") { Description = "PEM file of the gateway's manifest public key to pin (GET /v1/keys/manifest); frames whose manifest it does not sign are refused (without it, manifests are not verified and a warning is printed)" };
        var cacheMax = new Option<long?>("--cache-max-bytes")
        {
            Description = "size bound of the shard cache, e.g. 10G or 512M (default 10G); least recently used shards are evicted beyond it",
            CustomParser = result =>
            {
                if (ByteSizeParser.TryParse(result.Tokens.Single().Value, out var bytes)) return bytes;
                result.AddError($"--cache-max-bytes: '{result.Tokens.Single().Value}' is not a size such as 10G, 512M or 1048576");
                return null;
            },
        };
        var parallelism = new Option<int>("--download-parallelism") { Description = "shards downloaded at once (1 to 64)", DefaultValueFactory = _ => 4 };
        parallelism.Validators.Add(r =>
        {
            if (r.GetValue(parallelism) is < 1 or > 64) r.AddError($"--download-parallelism: {r.GetValue(parallelism)} is not in 1..64");
        });
        var progress = new Option<bool>("--progress") { Description = "always show shard download progress on stderr (default: only on a terminal, for downloads over 0.5 s)" };
        var prefetch = new Option<bool>("--prefetch") { Description = "after a split, download the shards of the layers below k and wait for them before exiting (default off for a one-shot process)" };
        var power = new Option<string?>("--power") { Description = "battery or mains, sent as X-SplitCompute-Power (default: the OS's state where readable, Linux /sys/class/power_supply)" };
        power.AcceptOnlyFromAmong("battery", "mains");
        var prefer = new Option<string?>("--prefer") { Description = "energy (spare this device's battery) or latency, sent as X-SplitCompute-Power" };
        prefer.AcceptOnlyFromAmong("energy", "latency");
        var dimensions = new Option<int?>("--dimensions") { Description = "keep the first N values, then scale to unit length (OpenAI's dimensions; only widths the model declares)" };
        var normalize = new Option<bool?>("--normalize") { Description = "scale each embedding to unit length (true/false; default: the model's own setting)" };
        var promptName = new Option<string?>("--prompt-name") { Description = "a sentence encoder's prompt to prefix (e.g. query, passage; default: the model's own)" };
        var encoding = new Option<string>("--encoding-format") { Description = "with --json: float (numbers) or base64 (little-endian float32, as OpenAI encodes it)", DefaultValueFactory = _ => "float" };
        encoding.AcceptOnlyFromAmong("float", "base64");
        var embed = new Command("embed", "embed through the gateway, running the tail layers on this machine")
        {
            gateway, text, ids, noSplit, forceSplit, model, cache, json, cacheMax, parallelism, progress, apiKey, manifestKey, backend, prefetch, power, prefer,
            dimensions, normalize, promptName, encoding,
        };
        embed.Validators.Add(result =>
        {
            if ((result.GetValue(text) is { Length: > 0 }) == (result.GetValue(ids) is not null)) result.AddError("give either --text (one or more) or --ids");
            if (result.GetValue(noSplit) && result.GetValue(forceSplit) is not null) result.AddError("--no-split and --force-split exclude each other");
        });
        embed.SetAction(async (result, cancellationToken) =>
        {
            var split = result.GetValue(noSplit) ? SplitPreference.None : result.GetValue(forceSplit) is { } k ? SplitPreference.Force(k) : SplitPreference.Auto;
            var key = result.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("SPLITCOMPUTE_API_KEY") is { Length: > 0 } k2 ? k2 : null);
            var pinned = result.GetValue(manifestKey) is { } file ? await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false) : null;
            using var telemetry = EdgeTelemetryExport.FromEnvironment();
            using var bar = ProgressBar(result.GetValue(progress));
            var powerState = PowerSupply.Resolve(result.GetValue(power) is { } p ? p == "battery" : null, result.GetValue(prefer) is { } e ? e == "energy" : null);
            using var client = Create(result.GetValue(gateway)!, result.GetValue(model), result.GetValue(cache)?.FullName,
                result.GetValue(cacheMax), result.GetValue(parallelism), bar, key, pinned,
                result.GetValue(backend) == "cpu" ? EdgeBackend.Cpu : EdgeBackend.WebGpu,
                split.IsNone, result.GetValue(prefetch), powerState, oneShot: true);
            var shape = new EdgeEmbedding(result.GetValue(dimensions), result.GetValue(normalize), result.GetValue(promptName));
            var outcome = result.GetValue(ids) is { } idText
                ? await client.EmbedIdsAsync(IdsParser.Parse(idText), split, shape, cancellationToken).ConfigureAwait(false)
                : await client.EmbedTextsAsync(result.GetValue(text)!, split, shape, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(prefetch))
            {
                await client.PrefetchCompletion.WaitAsync(cancellationToken).ConfigureAwait(false);
                var (fetched, problem) = client.PrefetchState;
                await Console.Error.WriteLineAsync($"prefetch: {fetched} shard(s) downloaded{(problem is null ? "" : $"; {problem}")}").ConfigureAwait(false);
            }
            if (pinned is null && outcome.K < outcome.N && !outcome.FellBack)
                await Console.Error.WriteLineAsync(UnverifiedManifestWarning).ConfigureAwait(false);
            var format = result.GetValue(encoding) == "base64" ? Protocol.Embeddings.EncodingFormat.Base64 : Protocol.Embeddings.EncodingFormat.Float;
            if (result.GetValue(json)) EdgeReportWriter.WriteJson(outcome, Console.OpenStandardOutput(), format);
            else EdgeReportWriter.WriteText(outcome, Console.Out);
            return 0;
        });
        return new Command("edge", "the client's edge runtime") { embed, EdgeProbeCommand.Create() };
    }

    /// <summary>
    /// Printed when a tail ran on weights whose manifest no pinned key verified: whoever answers as the gateway (or sits between)
    /// chose the code's numbers. Not an error, so local use stays simple; docs/security.md, "Pinning the manifest key".
    /// </summary>
    public const string UnverifiedManifestWarning =
        "warning: the tail ran on weights whose manifest was not verified against a pinned key; pass --manifest-key with the " +
        "gateway's public key (GET /v1/keys/manifest, saved once over a channel you trust) so that other weights are refused";

    /// <summary>
    /// An edge client for this machine: its CPU's measured GFLOP/s (not for a cloud-only request, which sends no figures) goes
    /// into the capability headers, and the link is measured (<see cref="EdgeRuntime.Link.LinkEstimator"/>). With <paramref name="oneShot"/> the process's
    /// start-up counts as the first request's warm-up (<see cref="EdgeResult.WarmupMs"/>).
    /// </summary>
    public static EdgeClient Create(Uri gateway, string? model, string? cache, long? cacheMaxBytes = null, int downloadParallelism = 4,
        IProgress<ShardDownloadProgress>? progress = null, string? apiKey = null, string? manifestPublicKeyPem = null, EdgeBackend backend = EdgeBackend.Cpu,
        bool cloudOnly = false, bool prefetch = false, Protocol.Capabilities.PowerState? power = null, bool oneShot = false) =>
        new(new EdgeOptions(gateway, cache ?? Paths.EdgeCache)
        {
            Model = model,
            Gflops = cloudOnly ? 10 : CpuCalibration.MeasureGflops(),
            Prefetch = prefetch,
            Power = power,
            WarmupSince = oneShot ? ProcessStartTimestamp() : null,
            CacheMaxBytes = cacheMaxBytes ?? ShardCacheOptions.DefaultMaxBytes,
            DownloadParallelism = downloadParallelism,
            DownloadProgress = progress,
            ApiKey = apiKey,
            ManifestPublicKeyPem = manifestPublicKeyPem,
            Backend = backend,
            ProbeCacheDirectory = Path.Combine(Paths.Home, "webgpu"),
        });

    /// <summary>The process's start as a Stopwatch timestamp: runtime start-up and JIT are the first request's warm-up.</summary>
    private static long ProcessStartTimestamp()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var sinceStart = DateTime.Now - self.StartTime;
        return System.Diagnostics.Stopwatch.GetTimestamp() - (long)(sinceStart.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    /// <summary>A bar on stderr when it is a terminal (for downloads that take a while), or always when asked; else none.</summary>
    private static DownloadProgressBar? ProgressBar(bool asked)
    {
        var terminal = !Console.IsErrorRedirected;
        if (!asked && !terminal) return null;
        return new DownloadProgressBar(Console.Error, interactive: terminal, showAfter: asked ? TimeSpan.Zero : TimeSpan.FromMilliseconds(500));
    }
}
