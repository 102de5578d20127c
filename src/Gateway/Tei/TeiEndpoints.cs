using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Workers;

namespace SplitCompute.Gateway.Tei;

/// <summary>Maps text-embeddings-inference's routes: POST /embed and GET /info (GET /health is the gateway's readiness).</summary>
public static class TeiEndpoints
{
    public static void MapTeiEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(TeiRoutes.Embed, (HttpContext context, TeiEmbedEndpoint endpoint) => endpoint.HandleAsync(context));
        app.MapGet(TeiRoutes.Info, (HttpContext context, WorkerRegistry registry, IOptions<GatewayOptions> options) => TeiInfoEndpoint.HandleAsync(context, registry, options));
    }
}
