namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Just enough YAML for the deployment files' block style (no YAML library in our registry): nested maps by indentation, list
/// items ("- x", at the key's indent as docker-compose prints them, or deeper), plain or quoted scalars, whole-line comments.
/// A block is the lines under one key; its own keys are those at its smallest indent.
/// </summary>
internal sealed class YamlBlock
{
    private readonly List<(int Indent, string Text)> _lines;

    private YamlBlock(List<(int Indent, string Text)> lines) => _lines = lines;

    public static YamlBlock Parse(string text) => new([.. text.Split('\n')
        .Select(l => l.TrimEnd('\r'))
        .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
        .Select(l => (l.Length - l.TrimStart().Length, l.Trim()))]);

    private int Indent => _lines.Count == 0 ? 0 : _lines.Min(l => l.Indent);

    /// <summary>The keys of this map, in order.</summary>
    public IEnumerable<string> Keys => _lines.Where(l => l.Indent == Indent && !l.Text.StartsWith("- ", StringComparison.Ordinal) && l.Text.Contains(':'))
        .Select(l => l.Text[..l.Text.IndexOf(':')]);

    /// <summary>The block under <paramref name="key"/>, or null when this map has no such key.</summary>
    public YamlBlock? this[string key]
    {
        get
        {
            var at = _lines.FindIndex(l => l.Indent == Indent && (l.Text == key + ":" || l.Text.StartsWith(key + ": ", StringComparison.Ordinal)));
            if (at < 0) return null;
            var indent = _lines[at].Indent;
            var end = at + 1;
            while (end < _lines.Count && (_lines[end].Indent > indent || (_lines[end].Indent == indent && _lines[end].Text.StartsWith("- ", StringComparison.Ordinal)))) end++;
            return new YamlBlock(_lines[(at + 1)..end]);
        }
    }

    /// <summary>The scalar written on <paramref name="key"/>'s own line ("key: value"), unquoted; null when absent or a block.</summary>
    public string? Scalar(string key)
    {
        var line = _lines.FirstOrDefault(l => l.Indent == Indent && l.Text.StartsWith(key + ": ", StringComparison.Ordinal)).Text;
        return line is null ? null : Unquote(line[(key.Length + 2)..]);
    }

    /// <summary>The scalar items of this list ("- value" lines at its own indent), unquoted.</summary>
    public IEnumerable<string> Items => _lines.Where(l => l.Indent == Indent && l.Text.StartsWith("- ", StringComparison.Ordinal)).Select(l => Unquote(l.Text[2..]));

    /// <summary>Every line of the block, as text without its indent (for a search anywhere below).</summary>
    public IEnumerable<string> Lines => _lines.Select(l => l.Text);

    private static string Unquote(string value)
    {
        var hash = value.IndexOf(" #", StringComparison.Ordinal);
        value = (hash >= 0 ? value[..hash] : value).Trim();
        return value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0] ? value[1..^1] : value;
    }
}
