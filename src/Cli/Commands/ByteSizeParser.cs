using System.Globalization;

namespace SplitCompute.Cli.Commands;

/// <summary>Parses sizes such as "10G", "512M", "1.5GiB" or "1048576" (K/M/G/T are powers of 1024, as disk tools use them).</summary>
internal static class ByteSizeParser
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) s = s[..^2];
        else if (s.EndsWith('B') || s.EndsWith('b')) s = s[..^1];
        var scale = s.Length > 0 ? char.ToUpperInvariant(s[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            'T' => 1L << 40,
            _ => 1L,
        } : 1L;
        if (scale > 1) s = s[..^1];
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * scale is < 1 or > long.MaxValue / 2) return false;
        bytes = (long)(value * scale);
        return true;
    }
}
