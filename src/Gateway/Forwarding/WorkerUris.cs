using System.Collections.Concurrent;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// The request URI for a worker address and path, parsed once: a Uri is immutable, and parsing one per proxied request was a
/// measurable share of the gateway's own work. Bounded: worker addresses change rarely, and the cache starts over past its size.
/// </summary>
internal static class WorkerUris
{
    private const int Capacity = 1_024;
    private static readonly ConcurrentDictionary<(string Prefix, string Path), Uri> Cache = new();

    public static Uri For(string destinationPrefix, string path)
    {
        if (Cache.TryGetValue((destinationPrefix, path), out var uri)) return uri;
        if (Cache.Count >= Capacity) Cache.Clear();
        uri = new Uri(destinationPrefix.TrimEnd('/') + path);
        Cache[(destinationPrefix, path)] = uri;
        return uri;
    }
}
