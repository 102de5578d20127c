namespace SplitCompute.Protocol;

/// <summary>Identifier checks shared by frames, manifests and headers: every field that may end up in a header or a log is printable ASCII.</summary>
internal static class PrintableAscii
{
    /// <summary>Max length of model ids, revisions, request ids and tensor names.</summary>
    public const int MaxIdentifierLength = 256;

    public static bool Is(char c) => c is >= ' ' and <= '~';

    public static bool Is(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!Is(c)) return false;
        }
        return true;
    }

    /// <summary>Non-empty, at most <see cref="MaxIdentifierLength"/> chars, printable ASCII.</summary>
    public static bool IsIdentifier(string? s) => !string.IsNullOrEmpty(s) && s.Length <= MaxIdentifierLength && Is(s);

    public static bool IsLowerHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        }
        return true;
    }

    /// <summary>Quotes a value for an error message, truncated so a hostile value cannot flood logs.</summary>
    public static string Quote(string? s, int max = 64)
    {
        if (s is null) return "null";
        var shown = s.Length <= max ? s : s[..max] + "...";
        var chars = shown.Select(c => Is(c) && c != '"' && c != '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        return "\"" + string.Concat(chars) + "\"";
    }
}
