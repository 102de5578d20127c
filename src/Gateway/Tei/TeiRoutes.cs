namespace SplitCompute.Gateway.Tei;

/// <summary>Hugging Face text-embeddings-inference's native routes, served beside OpenAI's (GET /health is the gateway's own).</summary>
public static class TeiRoutes
{
    public const string Embed = "/embed";
    public const string Info = "/info";

    public static bool Is(PathString path) =>
        path.Equals(Embed, StringComparison.OrdinalIgnoreCase) || path.Equals(Info, StringComparison.OrdinalIgnoreCase);
}
