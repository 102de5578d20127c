using SplitCompute.Protocol;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>
/// The fairness label the gateway puts on a request (<see cref="HeaderNames.Tenant"/>, its API key's id). Only the batcher's
/// round-robin reads it: it grants nothing, so a direct caller who sets it gains at most a turn of its own. Anything not
/// shaped like a label (1 to 64 of [A-Za-z0-9_-]) counts as no label, so the batcher's bookkeeping stays small.
/// </summary>
internal static class TenantLabel
{
    public const int MaxLength = 64;

    public static string Read(IHeaderDictionary headers)
    {
        var value = headers[HeaderNames.Tenant];
        if (value.Count != 1 || value[0] is not { Length: > 0 and <= MaxLength } label) return "";
        foreach (var c in label)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-') return "";
        }
        return label;
    }
}
