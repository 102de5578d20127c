using System.Text;

namespace SplitCompute.Redis;

/// <summary>One stream entry: its id ("1700000000000-0") and its field/value pairs in the order they were added.</summary>
public sealed record StreamEntry(string Id, IReadOnlyList<KeyValuePair<string, byte[]>> Fields)
{
    /// <summary>The first value of <paramref name="field"/> as UTF-8 text, or null when the entry has no such field.</summary>
    public string? GetString(string field)
    {
        foreach (var pair in Fields)
        {
            if (pair.Key == field) return Encoding.UTF8.GetString(pair.Value);
        }
        return null;
    }
}
