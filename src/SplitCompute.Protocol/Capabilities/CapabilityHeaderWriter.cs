using System.Globalization;

namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// Produces the X-SplitCompute-* request headers for a <see cref="ClientCapabilities"/> (the edge runtime's side).
/// Refuses values the parser would drop, so what a client sends is exactly what the gateway sees.
/// </summary>
public static class CapabilityHeaderWriter
{
    /// <summary>(name, value) pairs in <see cref="HeaderNames.CapabilityHeaders"/> order; absent parts produce no header.</summary>
    /// <exception cref="ArgumentException">A value the parser would reject (out of range, too long, not printable ASCII, ...).</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Write(ClientCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        if (capabilities.Version != CapabilityBounds.Version)
            throw new ArgumentException($"only version {CapabilityBounds.Version} can be written, found {capabilities.Version}", nameof(capabilities));
        var headers = new List<KeyValuePair<string, string>> { new(HeaderNames.Version, "1") };

        if (capabilities.Adapter is { } a)
        {
            var members = new List<string>();
            AddString(members, "vendor", a.Vendor);
            AddString(members, "architecture", a.Architecture);
            AddString(members, "device", a.Device);
            AddString(members, "backend", a.Backend);
            Add(headers, HeaderNames.Adapter, string.Join("; ", members));
        }
        if (capabilities.Limits is { } l)
        {
            var members = new List<string>();
            AddLimit(members, "max-buffer", l.MaxBuffer);
            AddLimit(members, "max-storage-binding", l.MaxStorageBinding);
            AddLimit(members, "max-workgroup-storage", l.MaxWorkgroupStorage);
            Add(headers, HeaderNames.Limits, string.Join(", ", members));
        }
        if (capabilities.Features.Count > 0)
        {
            if (capabilities.Features.Count > CapabilityBounds.MaxFeatures) throw Bad($"more than {CapabilityBounds.MaxFeatures} features");
            foreach (var f in capabilities.Features)
            {
                if (!CapabilityHeaderParser.IsFeature(f)) throw Bad($"feature {PrintableAscii.Quote(f)} is not a feature name");
            }
            if (capabilities.Features.Distinct().Count() != capabilities.Features.Count) throw Bad("a feature is listed twice");
            Add(headers, HeaderNames.Features, string.Join(", ", capabilities.Features));
        }
        if (capabilities.Perf is { } p)
        {
            var members = new List<string>();
            AddNumber(members, "gflops", p.Gflops, exclusiveMin: true, CapabilityBounds.MaxGflops);
            AddNumber(members, "upload-gbps", p.UploadGbps, exclusiveMin: true, CapabilityBounds.MaxUploadGbps);
            Add(headers, HeaderNames.Perf, string.Join(", ", members));
        }
        if (capabilities.Network is { } n)
        {
            var members = new List<string>();
            AddNumber(members, "downlink-mbps", n.DownlinkMbps, exclusiveMin: true, CapabilityBounds.MaxDownlinkMbps);
            AddNumber(members, "rtt-ms", n.RttMs, exclusiveMin: false, CapabilityBounds.MaxRttMs);
            Add(headers, HeaderNames.Network, string.Join(", ", members));
        }
        AddShards(headers, HeaderNames.Shards, "held", capabilities.HeldShards);
        AddShards(headers, HeaderNames.Resident, "resident", capabilities.ResidentShards);
        if (capabilities.Power is { } power)
            headers.Add(new(HeaderNames.Power, $"source={(power.OnBattery ? "battery" : "mains")}, prefer={(power.SaveEnergy ? "energy" : "latency")}"));
        var split = capabilities.Split ?? SplitPreference.Auto;
        if (split.ForcedK > CapabilityBounds.MaxSplitK) throw Bad($"forced k must be 0..{CapabilityBounds.MaxSplitK}, found {split.ForcedK.Value.ToString(CultureInfo.InvariantCulture)}");
        if (!split.IsAuto) headers.Add(new(HeaderNames.Split, split.HeaderValue));  // auto is the default; leaving it out saves a header
        return headers;
    }

    /// <summary>
    /// The X-SplitCompute-Shards entry for a full hash: its first <paramref name="length"/> chars. 16 keeps 256 entries
    /// under 5 KiB, well inside common 8-16 KiB total header limits.
    /// </summary>
    public static string ShardPrefix(string sha256, int length = CapabilityBounds.MinShardPrefixLength)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, CapabilityBounds.MinShardPrefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 64);
        if (!Manifests.ShardManifest.IsSha256(sha256)) throw new ArgumentException("expected 64 lowercase hex chars", nameof(sha256));
        return sha256[..length];
    }

    private static void AddShards(List<KeyValuePair<string, string>> headers, string name, string what, IReadOnlyList<string> shards)
    {
        if (shards.Count == 0) return;
        if (shards.Count > CapabilityBounds.MaxShards) throw Bad($"more than {CapabilityBounds.MaxShards} {what} shards");
        foreach (var s in shards)
        {
            if (!CapabilityHeaderParser.IsShardPrefix(s)) throw Bad($"{what} shard {PrintableAscii.Quote(s)} is not {CapabilityBounds.MinShardPrefixLength}..64 lowercase hex chars");
        }
        if (shards.Distinct().Count() != shards.Count) throw Bad($"a {what} shard is listed twice");
        Add(headers, name, string.Join(",", shards), CapabilityBounds.MaxShardsHeaderLength);
    }

    private static void Add(List<KeyValuePair<string, string>> headers, string name, string value, int max = CapabilityBounds.MaxHeaderLength)
    {
        // An all-null part (e.g. Perf with no values) is no information; the parser would yield null for it too.
        if (value.Length == 0) return;
        if (value.Length > max) throw Bad($"{name} would be {value.Length} chars, over the {max}-char limit");
        headers.Add(new(name, value));
    }

    private static void AddString(List<string> members, string key, string? value)
    {
        if (value is null) return;
        if (value.Length > CapabilityBounds.MaxStringLength || !PrintableAscii.Is(value))
            throw Bad($"{key} must be at most {CapabilityBounds.MaxStringLength} printable ASCII chars, found {PrintableAscii.Quote(value)}");
        members.Add($"{key}={HeaderSyntax.Quote(value)}");
    }

    private static void AddLimit(List<string> members, string key, long? value)
    {
        if (value is null) return;
        if (value is < 1 or > CapabilityBounds.MaxLimit) throw Bad($"{key} must be in [1, {CapabilityBounds.MaxLimit}], found {value}");
        members.Add($"{key}={value.Value.ToString(CultureInfo.InvariantCulture)}");
    }

    private static void AddNumber(List<string> members, string key, double? value, bool exclusiveMin, double max)
    {
        if (value is not double x) return;
        if (!double.IsFinite(x) || x > max || x < 0 || (exclusiveMin && x == 0))
            throw Bad($"{key} must be in {(exclusiveMin ? "(" : "[")}0, {HeaderSyntax.FormatNumber(max)}], found {x}");
        members.Add($"{key}={HeaderSyntax.FormatNumber(x == 0 ? 0 : x)}"); // -0 would print "-0"
    }

    private static ArgumentException Bad(string message) => new(message, "capabilities");
}
