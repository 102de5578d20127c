using System.Collections.Concurrent;
using SplitCompute.Protocol;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// Remembers what a set of capability header values parsed to. An edge client sends the same headers on every request until
/// its shard cache or measurements change, so the parse (~8 us and ~10 KB of garbage with a full shard list) is done once per
/// distinct set instead of once per request. Exact: an entry is used only when every header value is equal (ordinal) to the
/// one it was parsed from. Bounded: when full it is cleared, which costs one re-parse per live client.
/// </summary>
internal sealed class CapabilityProfileCache
{
    public const int Capacity = 4_096;

    private readonly ConcurrentDictionary<int, Entry> _entries = new();

    public ClientCapabilityProfile Read(HttpRequest request, bool acceptsFrame)
    {
        if (!acceptsFrame) return CapabilityReader.Read(request, acceptsFrame: false);
        var headers = request.Headers;
        var names = HeaderNames.CapabilityHeaders;
        var values = new string?[names.Count];
        var hash = default(HashCode);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = headers.TryGetValue(names[i], out var v) ? v.ToString() : null;
            hash.Add(values[i], StringComparer.Ordinal);
        }
        var key = hash.ToHashCode();
        if (_entries.TryGetValue(key, out var entry) && entry.Matches(values)) return entry.Profile;

        var profile = CapabilityReader.Read(name => Lookup(names, values, name));
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[key] = new Entry(values, profile);
        return profile;
    }

    public int Count => _entries.Count;

    private static string? Lookup(IReadOnlyList<string> names, string?[] values, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return values[i];
        }
        return null;
    }

    private sealed record Entry(string?[] Values, ClientCapabilityProfile Profile)
    {
        public bool Matches(string?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (!string.Equals(Values[i], values[i], StringComparison.Ordinal)) return false;
            }
            return true;
        }
    }
}
