using System.Text.Json;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Api;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Errors;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Models;

/// <summary>
/// GET /v1/models and GET /v1/models/{id}: the models the live workers serve, in OpenAI's list / model shape (<c>id</c>,
/// <c>object</c>, <c>created</c>, <c>owned_by</c>) plus ours: <c>revision</c>, <c>layers</c>, <c>width</c>, <c>dtype</c>,
/// <c>max_input_tokens</c>, <c>dimensions</c> (Matryoshka widths accepted), <c>normalize</c> (the default), <c>pooling</c> (mean, cls, max),
/// <c>family</c> (gpt2, bert, roberta, xlm-roberta) and <c>aliases</c>.
/// {id} is anything <c>model</c> accepts (<see cref="ModelResolver"/>); an unknown one is 404 <c>model_not_found</c>.
/// </summary>
public static class ModelsEndpoints
{
    public const string OwnedBy = "splitcompute";

    public static void MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (WorkerRegistry registry, IOptions<GatewayOptions> options) =>
        {
            var snapshot = registry.Current;
            return Results.Stream(stream => WriteAsync(stream, json =>
            {
                json.WriteStartObject();
                json.WriteString("object", "list");
                json.WriteStartArray("data");
                foreach (var model in snapshot.Workers.GroupBy(w => w.Model).OrderBy(g => g.Key, StringComparer.Ordinal))
                    WriteModel(json, model.ToList(), options.Value.ModelAliases);
                json.WriteEndArray();
                json.WriteEndObject();
            }), ApiError.MediaType);
        });
        app.MapGet("/v1/models/{**id}", (string id, WorkerRegistry registry, IOptions<GatewayOptions> options) =>
        {
            var snapshot = registry.Current;
            var o = options.Value;
            var resolved = ModelResolver.Resolve(id, snapshot, null, o.ModelAliases);
            if (resolved is null)
                return new ApiErrorResult(ApiError.ModelNotFound($"The model '{id}' does not exist: served are {ModelResolver.Describe(snapshot, o.ModelAliases)}"));
            var workers = snapshot.Workers.Where(w => w.Model == resolved.Model && (resolved.Revision is null || w.Revision == resolved.Revision)).ToList();
            return Results.Stream(stream => WriteAsync(stream, json => WriteModel(json, workers, o.ModelAliases)), ApiError.MediaType);
        });
    }

    private static async Task WriteAsync(Stream stream, Action<Utf8JsonWriter> write)
    {
        await using var json = new Utf8JsonWriter(stream);
        write(json);
        await json.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>One model, described by its workers (the revision most of them serve first).</summary>
    private static void WriteModel(Utf8JsonWriter json, IReadOnlyList<WorkerHeartbeat> workers, IReadOnlyDictionary<string, string> aliases)
    {
        var revisions = workers.GroupBy(w => w.Revision).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
        var w = workers.First(x => x.Revision == revisions[0]);
        json.WriteStartObject();
        json.WriteString("id", w.Model);
        json.WriteString("object", "model");
        json.WriteNumber("created", 0);
        json.WriteString("owned_by", OwnedBy);
        json.WriteString("revision", w.Revision);
        json.WriteStartArray("revisions");
        foreach (var r in revisions) json.WriteStringValue(r);
        json.WriteEndArray();
        json.WriteNumber("layers", w.NLayer);
        json.WriteNumber("width", w.NEmbd);
        json.WriteString("dtype", w.DType);
        json.WriteNumber("max_input_tokens", w.NPositions);
        json.WriteStartArray("dimensions");
        json.WriteNumberValue(w.NEmbd);
        foreach (var d in w.Dimensions ?? []) json.WriteNumberValue(d);
        json.WriteEndArray();
        json.WriteBoolean("normalize", w.Normalize);
        json.WriteString("pooling", w.Pooling);
        json.WriteString("family", w.Family);
        json.WriteStartArray("aliases");
        foreach (var alias in aliases.Where(a => ModelName(a.Value).Equals(w.Model, StringComparison.OrdinalIgnoreCase)).Select(a => a.Key).Order(StringComparer.Ordinal))
            json.WriteStringValue(alias);
        json.WriteEndArray();
        json.WriteNumber("workers", workers.Count);
        json.WriteEndObject();
    }

    private static string ModelName(string target) => target.Contains('@', StringComparison.Ordinal) ? target[..target.LastIndexOf('@')] : target;
}
