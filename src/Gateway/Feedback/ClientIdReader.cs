using SplitCompute.Protocol;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Feedback;

/// <summary>Reads X-SplitCompute-Client. On embeddings a bad value is a warning (the request is served, anonymously).</summary>
internal static class ClientIdReader
{
    /// <summary>The client id, or null with the reason (null when the header is simply absent).</summary>
    public static string? Read(HttpRequest request, out string? problem)
    {
        problem = null;
        if (!request.Headers.TryGetValue(HeaderNames.Client, out var values) || values.Count == 0) return null;
        var value = values.ToString();
        if (values.Count == 1 && ClientId.IsValid(value)) return value;
        problem = $"{HeaderNames.Client}: {Show(value)} is not {ClientId.MinLength} to {ClientId.MaxLength} characters of lowercase hex or '-' (one header line); ignored";
        return null;
    }

    /// <summary>
    /// The client id as the gateway files everything under it: with API keys, prefixed by the authenticated key's public id, so a
    /// tenant who learns another tenant's client id can neither move that client's plans nor claim its decisions (issue 21).
    /// </summary>
    public static string? ReadScoped(HttpContext context, out string? problem)
    {
        var id = Read(context.Request, out problem);
        return id is not null && context.Items[Access.ApiKeyMiddleware.RecordItem] is Access.ApiKeyRecord key ? $"{key.Id}:{id}" : id;
    }

    /// <summary>A client-sent value for an error message: quoted, at most 40 characters, non-printable characters as '?'.</summary>
    public static string Show(string? value)
    {
        if (value is null) return "(none)";
        var cut = value.Length > 40 ? value[..40] + "..." : value;
        return "\"" + new string([.. cut.Select(c => c is >= ' ' and <= '~' ? c : '?')]) + "\"";
    }
}
