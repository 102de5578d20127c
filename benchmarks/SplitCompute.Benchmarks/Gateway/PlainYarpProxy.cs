using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// The baseline: YARP's direct forwarding (<c>AddHttpForwarder</c> + <c>MapForwarder</c>) to the fast backend, with no body
/// buffering, no parsing, no planning. Configuration key "Backend" is the backend's base URL.
/// </summary>
internal static class PlainYarpProxy
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var backend = builder.Configuration["Backend"] ?? throw new ArgumentException("--Backend=<url> is required");
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapForwarder("/{**catch-all}", backend);
        return app;
    }
}
