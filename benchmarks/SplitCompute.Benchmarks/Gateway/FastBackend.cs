using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// The backend both proxies forward to: a minimal Kestrel app that drains the request body and answers POST /v1/embeddings with
/// one canned OpenAI-style response (one 64-float embedding), so the backend costs next to nothing and the proxies dominate.
/// </summary>
internal static class FastBackend
{
    public const int Dimensions = 64;

    public static byte[] CannedResponse(string model)
    {
        var embedding = new float[Dimensions];
        for (var i = 0; i < embedding.Length; i++) embedding[i] = MathF.Sin(i + 1) * 0.125f;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) EmbeddingResponseWriter.Write(json, model, [embedding], promptTokens: 8);
        return buffer.ToArray();
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var model = builder.Configuration["Model"] ?? GatewayBenchmark.ModelName;
        var canned = CannedResponse(model);
        var app = builder.Build();
        app.MapPost("/v1/embeddings", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = canned.Length;
            await context.Response.Body.WriteAsync(canned, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }
}
