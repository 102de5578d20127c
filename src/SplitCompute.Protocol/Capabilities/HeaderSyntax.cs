using System.Globalization;
using System.Text;

namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The header grammar (a strict subset of RFC 8941 structured fields, docs/protocol.md): key=value members separated by
/// "," or ";", values bare or "quoted" (with \" and \\ escapes), token lists separated by ",". Reports, never throws.
/// </summary>
internal static class HeaderSyntax
{
    public readonly record struct Member(string Key, string Value, bool Quoted);

    public static bool IsOws(char c) => c is ' ' or '\t';

    /// <summary>lcalpha *( lcalpha / DIGIT / "-" / "_" ), bounded.</summary>
    public static bool IsKey(ReadOnlySpan<char> s)
    {
        if (s.Length is 0 or > CapabilityBounds.MaxKeyLength || s[0] is not (>= 'a' and <= 'z')) return false;
        foreach (var c in s)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')) return false;
        }
        return true;
    }

    public static bool IsBareChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+' or ':' or '/' or '*';

    public static List<Member> ParseMembers(string value, string header, WarningList warnings)
    {
        var members = new List<Member>();
        var i = 0;
        for (var index = 1; ; index++)
        {
            SkipOws(value, ref i);
            if (i == value.Length) break;
            if (TryMember(value, ref i, out var member, out var error))
            {
                SkipOws(value, ref i);
                if (i < value.Length && value[i] is not (',' or ';'))
                {
                    warnings.Add($"{header}: member {index} ({member.Key}) is followed by {Show(value[i])} instead of ',' or ';'; ignored");
                    SkipToSeparator(value, ref i);
                }
                else
                {
                    members.Add(member);
                }
            }
            else
            {
                warnings.Add($"{header}: member {index} is malformed ({error}); ignored");
                SkipToSeparator(value, ref i);
            }
            if (i >= value.Length) break;
            i++; // the separator
        }
        return members;
    }

    /// <summary>Comma-separated items, whitespace-trimmed; empty items are reported and dropped.</summary>
    public static List<string> ParseList(string value, string header, WarningList warnings)
    {
        var items = new List<string>();
        var parts = value.Split(',');
        for (var p = 0; p < parts.Length; p++)
        {
            var item = parts[p].Trim(' ', '\t');
            if (item.Length == 0)
            {
                // "a, b," is a common writer slip; only complain about holes, not a trailing comma.
                if (p != parts.Length - 1 || parts.Length == 1) warnings.Add($"{header}: item {p + 1} is empty; ignored");
                continue;
            }
            items.Add(item);
        }
        return items;
    }

    /// <summary>
    /// A decimal number: 1*DIGIT ["." 1*DIGIT] [("e" / "E") ["+" / "-"] 1*DIGIT]. No sign, NaN, Infinity or hex, so
    /// JavaScript's Number() and Python's float() read exactly the same strings.
    /// </summary>
    public static bool TryParseNumber(string s, out double value)
    {
        value = 0;
        if (s.Length is 0 or > 32) return false;
        var i = 0;
        if (!Digits(s, ref i)) return false;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            if (!Digits(s, ref i)) return false;
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            if (!Digits(s, ref i)) return false;
        }
        if (i != s.Length) return false;
        value = double.Parse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>1*16 DIGIT.</summary>
    public static bool TryParseInteger(string s, out long value)
    {
        value = 0;
        if (s.Length is 0 or > 16) return false;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        value = long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Shortest round-trip form; matches <see cref="TryParseNumber"/>'s grammar for every finite non-negative double.</summary>
    public static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\') builder.Append('\\');
            builder.Append(c);
        }
        return builder.Append('"').ToString();
    }

    /// <summary>A value for a warning: quoted, truncated, always printable ASCII (the header was checked before).</summary>
    public static string Show(string value) => PrintableAscii.Quote(value, 40);

    private static string Show(char c) => PrintableAscii.Quote(c.ToString());

    private static bool Digits(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return i > start;
    }

    private static void SkipOws(string s, ref int i)
    {
        while (i < s.Length && IsOws(s[i])) i++;
    }

    private static void SkipToSeparator(string s, ref int i)
    {
        var quoted = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted && c == '\\') i++;
            else if (c == '"') quoted = !quoted;
            else if (!quoted && c is ',' or ';') return;
        }
    }

    private static bool TryMember(string s, ref int i, out Member member, out string error)
    {
        member = default;
        var start = i;
        while (i < s.Length && s[i] is not ('=' or ',' or ';') && !IsOws(s[i])) i++;
        var key = s[start..i];
        if (!IsKey(key))
        {
            error = key.Length == 0 ? "empty key" : $"bad key {Show(key)}";
            return false;
        }
        if (i == s.Length || s[i] != '=')
        {
            error = $"expected '=' after {key}";
            return false;
        }
        i++;
        if (i < s.Length && s[i] == '"')
        {
            var builder = new StringBuilder();
            for (i++; ; i++)
            {
                if (i == s.Length)
                {
                    error = $"unterminated quoted value for {key}";
                    return false;
                }
                var c = s[i];
                if (c == '"') break;
                if (c == '\\')
                {
                    if (i + 1 == s.Length || s[i + 1] is not ('"' or '\\'))
                    {
                        error = $"bad escape in the value of {key}";
                        return false;
                    }
                    c = s[++i];
                }
                if (builder.Length == CapabilityBounds.MaxStringLength)
                {
                    error = $"value of {key} is longer than {CapabilityBounds.MaxStringLength} chars";
                    return false;
                }
                builder.Append(c);
            }
            i++; // closing quote
            member = new Member(key, builder.ToString(), true);
            error = "";
            return true;
        }
        var valueStart = i;
        while (i < s.Length && IsBareChar(s[i])) i++;
        if (i == valueStart)
        {
            error = $"missing value for {key}";
            return false;
        }
        if (i - valueStart > CapabilityBounds.MaxStringLength)
        {
            error = $"value of {key} is longer than {CapabilityBounds.MaxStringLength} chars";
            return false;
        }
        member = new Member(key, s[valueStart..i], false);
        error = "";
        return true;
    }
}
