using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Tei;

/// <summary>
/// GET /info: TEI's description of the served model (the default one, as /embed uses it), from the live workers' heartbeats as
/// GET /v1/models builds its answer. Limits are the gateway's: 2048 inputs per request, the model's token limit per input.
/// </summary>
internal static class TeiInfoEndpoint
{
    private static readonly string Version =
        typeof(TeiInfoEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static async Task HandleAsync(HttpContext context, WorkerRegistry registry, IOptions<GatewayOptions> options)
    {
        var snapshot = registry.Current;
        var o = options.Value;
        var resolved = ModelResolver.Resolve(null, snapshot, o.DefaultModel, o.ModelAliases);
        var workers = resolved is null ? [] : snapshot.Workers.Where(w => w.Model == resolved.Model && (resolved.Revision is null || w.Revision == resolved.Revision)).ToList();
        if (workers.Count == 0)
        {
            await new TeiError(503, snapshot.Workers.Count == 0 ? "no inference worker is available"
                : $"no default model: set Gateway:DefaultModel (served: {ModelResolver.Describe(snapshot, o.ModelAliases)})", TeiError.Unhealthy).WriteAsync(context).ConfigureAwait(false);
            return;
        }
        var revision = workers.GroupBy(w => w.Revision).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var w = workers.First(x => x.Revision == revision);
        var maxInputs = TeiEmbedRequest.MaxInputs;
        context.Response.ContentType = ApiError.MediaType;
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("model_id", w.Model);
        json.WriteString("model_sha", w.Revision);
        json.WriteString("model_dtype", w.DType switch { "f32" => "float32", "f16" => "float16", "bf16" => "bfloat16", var other => other });
        json.WriteStartObject("model_type");
        json.WriteStartObject("embedding");
        json.WriteString("pooling", w.Pooling);  // the model's own: mean for GPT-2, an encoder's cls, mean or max
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteNumber("max_concurrent_requests", workers.Sum(x => Math.Max(1, x.Capacity)));
        json.WriteNumber("max_input_length", w.NPositions);
        json.WriteNumber("max_batch_tokens", (long)maxInputs * w.NPositions);
        json.WriteNumber("max_batch_requests", maxInputs);
        json.WriteNumber("max_client_batch_size", maxInputs);
        json.WriteNumber("tokenization_workers", 1);
        json.WriteString("version", Version);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
