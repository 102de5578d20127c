using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Tokenization;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// The first stage of POST /v1/embeddings: size (413, draining what the client is still sending), content type (415), JSON
/// (400), a worker at all (503), the model (404), <c>dimensions</c> (400) and each input's length in tokens (400
/// <c>context_length_exceeded</c>, or cut with <c>truncate</c>). Everything refused here never reaches a worker.
/// </summary>
internal sealed class EmbeddingsRequestValidator(WorkerRegistry registry, Gpt2Tokenizer tokenizer, IOptions<GatewayOptions> options)
{
    private readonly GatewayOptions _options = options.Value;

    public async Task<(ValidatedEmbeddingsRequest? Request, EmbeddingsRefusal? Refusal)> ValidateAsync(HttpContext context)
    {
        var request = context.Request;
        OversizedBody.AllowDrain(context, _options.MaxDrainBytes);
        if (request.ContentLength > _options.MaxRequestBytes)
        {
            await OversizedBody.DrainAsync(context, _options.MaxDrainBytes).ConfigureAwait(false);
            return Refuse(ApiError.TooLarge($"the body is {request.ContentLength} bytes; the limit is {_options.MaxRequestBytes}"));
        }
        if (!IsJson(request.ContentType))
            return Refuse(ApiError.UnsupportedMediaType($"Content-Type must be application/json, found {(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)}"));
        var body = await RequestBodyReader.ReadAsync(request, _options.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await OversizedBody.DrainAsync(context, _options.MaxDrainBytes).ConfigureAwait(false);
            return Refuse(ApiError.TooLarge($"the body exceeds the limit of {_options.MaxRequestBytes} bytes"));
        }
        EmbeddingRequest parsed;
        try
        {
            parsed = EmbeddingRequestParser.Parse(body);
        }
        catch (ProtocolException ex)
        {
            return Refuse(ApiError.From(ex));
        }

        await registry.FirstRefresh.WaitAsync(TimeSpan.FromSeconds(2), context.RequestAborted).ConfigureAwait(false);
        var snapshot = registry.Current;
        if (snapshot.Workers.Count == 0) return (null, new EmbeddingsRefusal(ApiError.Unavailable("no inference worker is available"), RetryAfter: true));
        var resolved = ModelResolver.Resolve(parsed.Model, snapshot, _options.DefaultModel, _options.ModelAliases);
        // The workers that may serve it: the model's, at the revision asked for if one was.
        var candidates = resolved is null ? [] : snapshot.Serving(resolved.Model).Where(w => resolved.Revision is null || w.Revision == resolved.Revision).ToList();
        var serving = candidates.FirstOrDefault();
        if (resolved is null || serving is null)
        {
            return Refuse(ApiError.ModelNotFound(
                $"The model '{parsed.Model ?? "default"}' does not exist or is not served (served: {ModelResolver.Describe(snapshot, _options.ModelAliases)})"));
        }
        try
        {
            _ = EmbeddingShaping.For(parsed, serving.NEmbd, serving.Dimensions, serving.Normalize);  // refused here, before planning
        }
        catch (ProtocolException ex)
        {
            return Refuse(ApiError.From(ex));
        }

        // Texts are tokenized here once: the planner needs their lengths, and the worker gets these ids instead of the texts.
        var tokenized = parsed.Texts?.Select(t => tokenizer.Encode(t).ToArray()).ToList();
        var lengths = (tokenized ?? parsed.TokenIds!).Select(s => s.Length).ToArray();
        var nPositions = serving.NPositions;
        // Only where every worker that may serve it tokenizes exactly as this gateway does (else they get the texts, as sent).
        var sameTokenizer = candidates.All(w => w.Tokenizer == tokenizer.Fingerprint);
        // Another tokenizer (a WordPiece encoder's) counts other tokens: the worker, which has it, refuses an input too long; here
        // the counts only size the plan.
        var tooLong = tokenized is null || sameTokenizer ? Array.FindIndex(lengths, l => l > nPositions) : -1;
        if (tooLong >= 0 && !parsed.Truncate)
        {
            return Refuse(ApiError.ContextLengthExceeded(
                $"input[{tooLong}] is {lengths[tooLong]} tokens; the model's limit (n_positions) is {nPositions} (send \"truncate\": true to cut it)", $"input[{tooLong}]"));
        }
        for (var i = 0; i < lengths.Length; i++) lengths[i] = Math.Min(lengths[i], nPositions);
        if (tokenized is not null && sameTokenizer) body = EmbeddingRequestWriter.ToJsonUtf8(parsed with { Texts = null, TokenIds = tokenized });
        return (new ValidatedEmbeddingsRequest(body, parsed, resolved, new PlanRequest(lengths.Length, lengths.Max(), lengths.Sum())), null);
    }

    private static (ValidatedEmbeddingsRequest?, EmbeddingsRefusal?) Refuse(ApiError error) => (null, new EmbeddingsRefusal(error));

    /// <summary>application/json, with or without parameters (charset); anything else (text/plain, a form, none) is refused.</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);
}
