using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.InferenceWorker.Telemetry;
using SplitCompute.Model.Forward;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Workers;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>
/// POST /v1/embeddings on the worker: the same OpenAI-style body the gateway received, plus the gateway's split point in
/// <see cref="HeaderNames.SplitK"/>. Answers a hidden-state frame (k &lt; N) or embeddings (frame or OpenAI JSON, k = N).
/// Frames carry the pooled embeddings as computed; OpenAI JSON applies the request's <c>dimensions</c>, <c>normalize</c> and
/// <c>encoding_format</c>. Every refusal is OpenAI's error object (<see cref="ApiError"/>).
/// </summary>
internal static class EmbeddingsEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, ModelHost model, HeadExecutor executor,
        IOptions<WorkerOptions> options, CancellationToken cancellationToken)
    {
        var received = Stopwatch.GetTimestamp();  // "total" in X-SplitCompute-Worker-Ms runs from here to the response headers
        var request = context.Request;
        if (request.ContentLength > options.Value.MaxRequestBytes)
            return Error(ApiError.TooLarge($"the body is {request.ContentLength} bytes; the limit is {options.Value.MaxRequestBytes}"));
        var body = await RequestBody.ReadAsync(request, options.Value.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (body is null) return Error(ApiError.TooLarge($"the body exceeds the limit of {options.Value.MaxRequestBytes} bytes"));

        EmbeddingRequest parsed;
        EmbeddingShaping shaping;
        try
        {
            parsed = EmbeddingRequestParser.Parse(body);
            shaping = EmbeddingShaping.For(parsed, model.Shape.Channels, model.Embedding.Dimensions, model.Embedding.Normalize);
        }
        catch (ProtocolException ex)
        {
            return Error(ApiError.From(ex));
        }
        // The gateway sends the model it resolved (an alias, another case, name@revision); a direct caller's body names it.
        var name = request.Headers[HeaderNames.ResolvedModel] is { Count: > 0 } resolved ? resolved.ToString() : parsed.Model;
        if (!model.Serves(name))
            return Error(ApiError.ModelNotFound($"model '{name}' is not served here (this worker serves '{model.ModelId}', revision {model.Revision})"));

        var n = model.Shape.Layers;
        var k = n;
        if (request.Headers[HeaderNames.SplitK] is { Count: > 0 } splitHeader
            && (!int.TryParse(splitHeader[0], NumberStyles.None, CultureInfo.InvariantCulture, out k) || k < 0 || k > n))
            return Error(ApiError.InvalidRequest($"{HeaderNames.SplitK} must be an integer in [0, {n}]", HeaderNames.SplitK));
        if (k < n && model.Manifest is null)
            return Error(ApiError.InvalidRequest($"model '{model.ModelId}' is served whole in the cloud: it has no shards for an edge to run layers [{k}, {n})", HeaderNames.SplitK));
        if (PoolingFor(model, request.Headers[HeaderNames.Pooling].ToString()) is not { } pooling)
            return Error(ApiError.InvalidRequest($"{HeaderNames.Pooling}: model '{model.ModelId}' pools by {model.DefaultPooling.ToString().ToLowerInvariant()} (its Pooling module); it cannot be changed per request", HeaderNames.Pooling));

        if (parsed.TokenIds is null && model.Tokenizer is null)
            return Error(ApiError.InvalidRequest($"model '{model.ModelId}' has no tokenizer files (vocab.json, merges.txt); send token ids as input", "input"));
        if (parsed.PromptName is { } promptName && PromptProblem(model, promptName) is { } problem) return Error(ApiError.InvalidRequest(problem, "prompt_name"));
        var (sequences, poolingSkips) = Tokenize(model, parsed);
        if (poolingSkips > 0 && k < n && !MediaTypes.AcceptsPoolFrom(request.Headers.Accept))
        {
            // The frame tells the edge to leave the prompt out of pooling (pool_from), but a client that does not say it honours
            // that (an older one would pool the prompt in, silently) gets this request run whole here, as for k = N.
            k = n;
            context.Response.Headers.Append(HeaderNames.Warning,
                $"split declined: the model pools without its prompt's tokens, and the request's Accept lacks {MediaTypes.HiddenState}; {MediaTypes.PoolFromParameter}=1");
        }
        var limit = model.MaxTokens;
        for (var i = 0; i < sequences.Count; i++)
        {
            if (sequences[i].Length == 0) return Error(ApiError.InvalidRequest($"input[{i}] encodes to no tokens", $"input[{i}]"));
            if (sequences[i].Length > limit)
            {
                if (!parsed.Truncate)
                    return Error(ApiError.ContextLengthExceeded($"input[{i}] is {sequences[i].Length} tokens; the model's limit ({model.MaxTokensName}) is {limit} (send \"truncate\": true to cut it)", $"input[{i}]"));
                sequences[i] = model.Tokenizer is { } tokenizer ? tokenizer.Truncate(sequences[i], limit) : sequences[i][..limit];
            }
            var bad = Array.FindIndex(sequences[i], id => id >= model.Shape.VocabSize);
            if (bad >= 0) return Error(ApiError.InvalidRequest($"input[{i}][{bad}] = {sequences[i][bad]} is outside the vocabulary [0, {model.Shape.VocabSize})", $"input[{i}]"));
        }

        var batch = TokenBatch.FromSequences(sequences);
        HeadResult result;
        using (var activity = WorkerTelemetry.Source.StartActivity("splitcompute.head"))
        {
            activity?.SetTag("splitcompute.k", k).SetTag("splitcompute.n", n).SetTag("splitcompute.sequences", batch.BatchSize).SetTag("splitcompute.tokens", batch.SequenceLength);
            result = await executor.RunAsync(batch, k, pooling, TenantLabel.Read(request.Headers), cancellationToken).ConfigureAwait(false);
        }
        if (poolingSkips > 0 && result.Embeddings is not null)
            result = result with { Embeddings = Pooler.Pool(result.Hidden, pooling, poolingSkips) };
        if (!WorkerWarmUp.IsWarmUp(context)) context.RequestServices.GetRequiredService<WorkerTelemetry>().RequestDone(k, n, batch.BatchSize, result);
        var response = context.Response;
        response.OnStarting(() =>
        {
            // Only successful answers carry it (the 406 below does not).
            if (response.StatusCode == StatusCodes.Status200OK)
                response.Headers[HeaderNames.WorkerMs] = new WorkerTiming(result.BusyMs, result.FullMs, result.QueueMs, Stopwatch.GetElapsedTime(received).TotalMilliseconds).Format();
            return Task.CompletedTask;
        });
        response.Headers[HeaderNames.Worker] = context.RequestServices.GetRequiredService<WorkerIdentity>().WorkerId;
        response.Headers[HeaderNames.WorkerTiming] = string.Create(CultureInfo.InvariantCulture, $"queue-ms={result.QueueMs:F3}, compute-ms={result.ComputeMs:F3}");
        var lengths = sequences.Select(s => s.Length).ToArray();
        var wantsFrame = request.Headers.Accept.ToString().Contains(MediaTypes.HiddenState, StringComparison.OrdinalIgnoreCase);

        if (result.Embeddings is { } embeddings && !wantsFrame)
        {
            return Results.Stream(async stream =>
            {
                await using var json = new Utf8JsonWriter(stream);
                EmbeddingResponseWriter.Write(json, model.ModelId, shaping.Apply(embeddings), lengths.Sum(), parsed.EncodingFormat);
                await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            }, "application/json");
        }
        if (!wantsFrame)
            return Error(new ApiError(StatusCodes.Status406NotAcceptable, $"a split answer (k = {k} < {n}) is a hidden-state frame; send Accept: {MediaTypes.HiddenState}",
                ApiErrorCodes.InvalidRequest, null, ApiErrorCodes.NotAcceptable));

        var framePooling = Enum.Parse<FramePooling>(pooling.ToString());  // the two enums share their names
        var frame = result.Embeddings is { } pooled
            ? HiddenStateFrame.Embeddings(model.ModelId, model.Revision, n, batch.BatchSize, model.Shape.Channels, lengths,
                [.. pooled.SelectMany(e => e)], framePooling, requestId: context.TraceIdentifier)
            : HiddenStateFrame.Hidden(model.ModelId, model.Revision, k, n, batch.BatchSize, batch.SequenceLength, model.Shape.Channels,
                lengths, result.Hidden.Data, model.Manifest!.Slice(k, n), requestId: context.TraceIdentifier, pooling: framePooling, poolFrom: poolingSkips);
        var bytes = FrameWriter.ToArray(frame);
        response.Headers[HeaderNames.Shaping] = shaping.ToHeader();  // the edge finishes the embeddings as this JSON answer would have
        return Results.Bytes(bytes, MediaTypes.HiddenState);
    }

    /// <summary>
    /// The request's token ids (as sent, or tokenized here; a sentence encoder's texts with its prompt, the named one or its default),
    /// and how many leading positions pooling leaves out (the prompt's, when the model pools without it).
    /// </summary>
    private static (List<int[]> Sequences, int PoolingSkips) Tokenize(ModelHost model, EmbeddingRequest request)
    {
        if (request.TokenIds is { } ids) return ([.. ids], 0);
        if (model.Encoder is not { } encoder) return ([.. request.Texts!.Select(model.Tokenizer!.Encode)], 0);
        var (prompt, skips) = encoder.Prompt(request.PromptName);
        return ([.. request.Texts!.Select(t => encoder.Tokenizer.Encode(t, prompt))], skips);
    }

    /// <summary>Why <paramref name="name"/> cannot be used here, or null: it must be one of the encoder's prompts.</summary>
    private static string? PromptProblem(ModelHost model, string name)
    {
        if (model.Encoder is not { } encoder) return $"model '{model.ModelId}' has no prompts (prompt_name is for sentence encoders)";
        var layout = encoder.Layout;
        if (!layout.Prompts.ContainsKey(name))
            return $"model '{model.ModelId}' has no prompt \"{name}\" (it has: {(layout.Prompts.Count == 0 ? "none" : string.Join(", ", layout.Prompts.Keys.Order(StringComparer.Ordinal)))})";
        return null;
    }

    /// <summary>GPT-2: "last" or mean (the default); an encoder: its own pooling only (null when the header asks for another).</summary>
    private static Pooling? PoolingFor(ModelHost model, string header)
    {
        if (model.Encoder is null) return header == "last" ? Pooling.Last : Pooling.Mean;
        return header.Length == 0 || string.Equals(header, model.DefaultPooling.ToString(), StringComparison.OrdinalIgnoreCase) ? model.DefaultPooling : null;
    }

    private static ApiErrorResult Error(ApiError error) => new(error);
}
