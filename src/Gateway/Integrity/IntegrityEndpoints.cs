using SplitCompute.Protocol;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Integrity;

/// <summary>
/// GET /v1/keys/manifest: the public key that signs manifests (open, so clients can fetch what they then pin out of band).
/// GET /v1/manifests/{model}/{revision}: that revision's full shard manifest, signed (an API key is needed when keys are on).
/// </summary>
public static class IntegrityEndpoints
{
    public static IServiceCollection AddManifestSigning(this IServiceCollection services)
    {
        services.AddOptions<ManifestSigningOptions>().BindConfiguration(Hosting.GatewayOptions.Section);
        services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ManifestSigningOptions>>().Value.ManifestSigningKeyPath;
            return ManifestSigningKey.LoadOrCreate(string.IsNullOrWhiteSpace(configured) ? DefaultKeyPath() : configured);
        });
        services.AddSingleton<SignedManifestSource>();
        return services;
    }

    public static void MapIntegrityEndpoints(this WebApplication app)
    {
        // Load (or create) the key now: a bad key file stops the gateway at start, not at its first manifest request.
        var key = app.Services.GetRequiredService<ManifestSigningKey>();
        app.MapGet(Access.AccessPaths.PublicKeyPath, () =>
            Results.Json(new { alg = Protocol.Manifests.SignedManifest.Es256, key_id = key.KeyId, public_key_pem = key.PublicKeyPem }));
        app.MapGet("/v1/manifests/{model}/{revision}", async (HttpContext context, string model, string revision, SignedManifestSource source) =>
        {
            if (!IsIdentifier(model) || !IsIdentifier(revision))
                return Api.StatusErrors.Result(400, "model and revision are 1 to 256 printable ASCII characters");
            try
            {
                var signed = await source.GetAsync(model, revision, context.RequestAborted).ConfigureAwait(false);
                if (signed is null) return Api.StatusErrors.Result(404, $"no manifest is published for {model}@{revision}");
                context.Response.Headers.CacheControl = "public, max-age=3600";
                return Results.Bytes(signed, MediaTypes.SignedManifest);
            }
            catch (ProtocolException ex)
            {
                return Api.StatusErrors.Result(502, ex.Message);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                context.Response.Headers.RetryAfter = "2";
                return Api.StatusErrors.Result(503, $"the manifest store is unreachable: {ex.Message}");
            }
        });
    }

    private static bool IsIdentifier(string s) => s.Length is > 0 and <= 256 && s.All(c => c is >= ' ' and <= '~');

    private static string DefaultKeyPath()
    {
        var home = Environment.GetEnvironmentVariable("SPLITCOMPUTE_HOME") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".splitcompute");
        return Path.Combine(home, "keys", "manifest-signing-key.pem");
    }
}
