using System.CommandLine;
using System.Diagnostics;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Tokenization;

namespace SplitCompute.Cli.Commands;

/// <summary>`embed`: embeddings of texts or token-id sequences on the CPU backend, optionally as two split passes.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Hugging Face GPT-2 model directory, or a sentence encoder in sentence-transformers' layout", Required = true };
        var text = new Option<string[]>("--text") { Description = "a text to embed (repeat for a batch)" };
        var ids = new Option<string>("--ids") { Description = "token ids instead of texts: \"1,2,3;4,5\" (';' between sequences)" };
        var split = new Option<int?>("--split") { Description = "run layers [0,K) and [K,N) as two separate passes" };
        var pooling = new Option<string>("--pooling") { Description = "GPT-2: mean (over valid tokens) or last; an encoder pools as its Pooling module says", DefaultValueFactory = _ => "mean" };
        pooling.AcceptOnlyFromAmong("mean", "last");
        var json = new Option<bool>("--json") { Description = "print {\"embeddings\": [[...]], ...} for other tools" };

        var command = new Command("embed", "embed texts or token ids with a local model (CPU backend)") { model, text, ids, split, pooling, json };
        command.Validators.Add(result =>
        {
            var hasText = result.GetValue(text) is { Length: > 0 };
            var hasIds = result.GetValue(ids) is not null;
            if (hasText == hasIds) result.AddError("give either --text (one or more) or --ids, not both and not neither");
        });
        command.SetAction(result =>
        {
            var directory = result.GetValue(model)!.FullName;
            var request = new EmbedRequest(directory, result.GetValue(text), result.GetValue(ids), result.GetValue(split),
                PoolingNames.Parse(result.GetValue(pooling)!));
            return Run(request, result.GetValue(json));
        });
        return command;
    }

    internal sealed record EmbedRequest(string ModelDirectory, string[]? Texts, string? Ids, int? Split, Pooling Pooling);

    private static int Run(EmbedRequest request, bool json)
    {
        if (BertConfig.IsEncoderDirectory(request.ModelDirectory)) return RunEncoder(request, json);
        var clock = Stopwatch.StartNew();
        using var weights = Gpt2Weights.Load(request.ModelDirectory);
        using var backend = new CpuBackend(weights);
        var loadMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var sequences = request.Ids is not null
            ? IdsParser.Parse(request.Ids)
            : [.. request.Texts!.Select(Gpt2Tokenizer.FromDirectory(request.ModelDirectory).Encode)];
        var tokenizeMs = clock.Elapsed.TotalMilliseconds;
        if (sequences.Any(s => s.Length == 0)) throw new ArgumentException("a text encodes to no tokens; give non-empty input");

        var batch = TokenBatch.FromSequences(sequences);
        var (embeddings, timings) = SplitEmbedder.Embed(backend, backend, batch, request.Split, request.Pooling);
        var report = new EmbedReport(weights.Config.NLayer, request.Split ?? weights.Config.NLayer, request.Pooling, backend.Name, backend.Blas.ToString(),
            sequences.Select(s => s.Length).ToArray(), embeddings, loadMs, tokenizeMs, timings);
        if (json) EmbedReportWriter.WriteJson(report, Console.OpenStandardOutput());
        else EmbedReportWriter.WriteText(report, Console.Out);
        return 0;
    }

    /// <summary>A sentence encoder: its prompt, WordPiece, the layer ranges, its own pooling and Normalize module.</summary>
    private static int RunEncoder(EmbedRequest request, bool json)
    {
        var clock = Stopwatch.StartNew();
        using var encoder = CpuSentenceEncoder.Load(request.ModelDirectory);
        var layout = encoder.Layout;
        var loadMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var sequences = request.Ids is not null ? IdsParser.Parse(request.Ids) : [.. request.Texts!.Select(t => encoder.Tokenize(t))];
        var tokenizeMs = clock.Elapsed.TotalMilliseconds;
        if (sequences.Any(s => s.Length == 0)) throw new ArgumentException("a sequence has no tokens; give non-empty input");
        var skips = request.Ids is null ? encoder.PoolingSkips() : 0;  // ids are taken as given, prompt included or not
        var (embeddings, timings) = SplitEmbedder.Embed(encoder.Backend, encoder.Backend, TokenBatch.FromSequences(sequences), request.Split, encoder.Pooling, skips);
        if (layout.Normalize)
        {
            foreach (var e in embeddings) System.Numerics.Tensors.TensorPrimitives.Divide(e, MathF.Max(System.Numerics.Tensors.TensorPrimitives.Norm(e), 1e-12f), e);
        }
        var n = layout.Config.NumLayers;
        var report = new EmbedReport(n, request.Split ?? n, encoder.Pooling, encoder.Backend.Name, $"{layout.Config.ModelType} encoder, normalize={layout.Normalize}",
            [.. sequences.Select(s => s.Length)], embeddings, loadMs, tokenizeMs, timings);
        if (json) EmbedReportWriter.WriteJson(report, Console.OpenStandardOutput());
        else EmbedReportWriter.WriteText(report, Console.Out);
        return 0;
    }
}
