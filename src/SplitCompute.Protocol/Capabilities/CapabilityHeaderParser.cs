namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// Reads <see cref="ClientCapabilities"/> from X-SplitCompute-* request headers. Strict but forgiving: a bad value,
/// unknown key, duplicate key, oversized or non-ASCII header is ignored and reported in the warnings, and the rest
/// is kept. Never throws on header content. No X-SplitCompute-* header at all means a plain client: null, no warnings.
/// </summary>
public static class CapabilityHeaderParser
{
    /// <summary>
    /// <paramref name="header"/> returns a header's value (repeated header lines joined with ","), or null when absent;
    /// e.g. <c>name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null</c> in ASP.NET.
    /// </summary>
    public static CapabilityParseResult Parse(Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return Parse(header, new WarningList());
    }

    /// <summary>Header name/values pairs (e.g. HttpRequestHeaders); names are case-insensitive and repeated lines are joined.</summary>
    public static CapabilityParseResult Parse(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var warnings = new WarningList();
        var known = new HashSet<string>(HeaderNames.CapabilityHeaders, StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, lines) in headers)
        {
            if (name is null || lines is null) continue;
            if (!known.Contains(name))
            {
                // The client id is a protocol header but not a capability: not parsed here, and not unknown either.
                if (name.StartsWith(HeaderNames.Prefix, StringComparison.OrdinalIgnoreCase) && !string.Equals(name, HeaderNames.Client, StringComparison.OrdinalIgnoreCase))
                    warnings.Add($"{PrintableAscii.Quote(name, 64).Trim('"')}: unknown header; ignored");
                continue;
            }
            var joined = string.Join(", ", lines);
            values[name] = values.TryGetValue(name, out var previous) ? previous + ", " + joined : joined;
        }
        return Parse(name => values.GetValueOrDefault(name), warnings);
    }

    private static CapabilityParseResult Parse(Func<string, string?> header, WarningList warnings)
    {
        var raw = HeaderNames.CapabilityHeaders.ToDictionary(n => n, header);
        if (raw.Values.All(v => v is null)) return new CapabilityParseResult(null, warnings.ToList());

        string? Value(string name, int max = CapabilityBounds.MaxHeaderLength) => Checked(name, raw[name], max, warnings);

        var version = Value(HeaderNames.Version);
        if (version is null)
        {
            if (raw[HeaderNames.Version] is null) warnings.Add($"{HeaderNames.Version}: missing; capability headers ignored");
            return new CapabilityParseResult(null, warnings.ToList());
        }
        if (version != "1")
        {
            warnings.Add($"{HeaderNames.Version}: {HeaderSyntax.Show(version)} is not a supported version (supported: 1); capability headers ignored");
            return new CapabilityParseResult(null, warnings.ToList());
        }

        var caps = new ClientCapabilities
        {
            Adapter = Value(HeaderNames.Adapter) is { } adapter ? ParseAdapter(adapter, warnings) : null,
            Limits = Value(HeaderNames.Limits) is { } limits ? ParseLimits(limits, warnings) : null,
            Features = Value(HeaderNames.Features) is { } features ? ParseFeatures(features, warnings) : [],
            Perf = Value(HeaderNames.Perf) is { } perf ? ParsePerf(perf, warnings) : null,
            Network = Value(HeaderNames.Network) is { } network ? ParseNetwork(network, warnings) : null,
            HeldShards = Value(HeaderNames.Shards, CapabilityBounds.MaxShardsHeaderLength) is { } shards ? ParseShards(HeaderNames.Shards, shards, warnings) : [],
            ResidentShards = Value(HeaderNames.Resident, CapabilityBounds.MaxShardsHeaderLength) is { } resident ? ParseShards(HeaderNames.Resident, resident, warnings) : [],
            Power = Value(HeaderNames.Power) is { } power ? ParsePower(power, warnings) : null,
            Split = Value(HeaderNames.Split) is { } split ? ParseSplit(split, warnings) : SplitPreference.Auto,
        };
        return new CapabilityParseResult(caps, warnings.ToList());
    }

    /// <summary>The trimmed value, or null (with a warning) when it is too long or not printable ASCII.</summary>
    private static string? Checked(string name, string? value, int max, WarningList warnings)
    {
        if (value is null) return null;
        if (value.Length > max)
        {
            warnings.Add($"{name}: {value.Length} chars is over the {max}-char limit; header ignored");
            return null;
        }
        foreach (var c in value)
        {
            if (!PrintableAscii.Is(c) && c != '\t')
            {
                warnings.Add($"{name}: contains a character outside printable ASCII (U+{(int)c:X4}); header ignored");
                return null;
            }
        }
        return value.Trim(' ', '\t');
    }

    private static AdapterInfo? ParseAdapter(string value, WarningList warnings)
    {
        string? vendor = null, architecture = null, device = null, backend = null;
        var any = ForEachMember(HeaderNames.Adapter, value, warnings, ["vendor", "architecture", "device", "backend"], m =>
        {
            switch (m.Key)
            {
                case "vendor": vendor = m.Value; break;
                case "architecture": architecture = m.Value; break;
                case "device": device = m.Value; break;
                default: backend = m.Value; break;
            }
            return null;
        });
        return any ? new AdapterInfo(vendor, architecture, device, backend) : null;
    }

    private static AdapterLimits? ParseLimits(string value, WarningList warnings)
    {
        long? buffer = null, binding = null, workgroup = null;
        var any = ForEachMember(HeaderNames.Limits, value, warnings, ["max-buffer", "max-storage-binding", "max-workgroup-storage"], m =>
        {
            if (m.Quoted || !HeaderSyntax.TryParseInteger(m.Value, out var n)) return "is not an integer";
            if (n is < 1 or > CapabilityBounds.MaxLimit) return $"is out of range [1, {CapabilityBounds.MaxLimit}]";
            switch (m.Key)
            {
                case "max-buffer": buffer = n; break;
                case "max-storage-binding": binding = n; break;
                default: workgroup = n; break;
            }
            return null;
        });
        return any ? new AdapterLimits(buffer, binding, workgroup) : null;
    }

    private static PerfMeasurements? ParsePerf(string value, WarningList warnings)
    {
        double? gflops = null, upload = null;
        var any = ForEachMember(HeaderNames.Perf, value, warnings, ["gflops", "upload-gbps"], m =>
        {
            var max = m.Key == "gflops" ? CapabilityBounds.MaxGflops : CapabilityBounds.MaxUploadGbps;
            if (Number(m, 0, exclusiveMin: true, max) is { } error) return error;
            if (m.Key == "gflops") gflops = double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture);
            else upload = double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture);
            return null;
        });
        return any ? new PerfMeasurements(gflops, upload) : null;
    }

    private static NetworkMeasurements? ParseNetwork(string value, WarningList warnings)
    {
        double? downlink = null, rtt = null;
        var any = ForEachMember(HeaderNames.Network, value, warnings, ["downlink-mbps", "rtt-ms"], m =>
        {
            var error = m.Key == "downlink-mbps"
                ? Number(m, 0, exclusiveMin: true, CapabilityBounds.MaxDownlinkMbps)
                : Number(m, 0, exclusiveMin: false, CapabilityBounds.MaxRttMs);
            if (error is not null) return error;
            if (m.Key == "downlink-mbps") downlink = double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture);
            else rtt = double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture);
            return null;
        });
        return any ? new NetworkMeasurements(downlink, rtt) : null;
    }

    /// <summary>Null when the member is a number in range, else why not.</summary>
    private static string? Number(HeaderSyntax.Member m, double min, bool exclusiveMin, double max)
    {
        if (m.Quoted || !HeaderSyntax.TryParseNumber(m.Value, out var x)) return "is not a number";
        if (!double.IsFinite(x) || x > max || x < min || (exclusiveMin && x == min))
            return $"is out of range {(exclusiveMin ? "(" : "[")}{HeaderSyntax.FormatNumber(min)}, {HeaderSyntax.FormatNumber(max)}]";
        return null;
    }

    private static IReadOnlyList<string> ParseFeatures(string value, WarningList warnings)
    {
        var result = new List<string>();
        foreach (var item in HeaderSyntax.ParseList(value, HeaderNames.Features, warnings))
        {
            if (!IsFeature(item)) warnings.Add($"{HeaderNames.Features}: {HeaderSyntax.Show(item)} is not a feature name; ignored");
            else if (result.Contains(item)) warnings.Add($"{HeaderNames.Features}: {item} is listed twice; ignored");
            else if (result.Count == CapabilityBounds.MaxFeatures) warnings.Add($"{HeaderNames.Features}: more than {CapabilityBounds.MaxFeatures} features; {item} ignored");
            else result.Add(item);
        }
        return result;
    }

    /// <summary>X-SplitCompute-Shards and X-SplitCompute-Resident: the same list of hash prefixes, the same limits.</summary>
    private static IReadOnlyList<string> ParseShards(string header, string value, WarningList warnings)
    {
        var result = new List<string>();
        var set = new HashSet<string>(StringComparer.Ordinal);
        var overflow = 0;
        foreach (var item in HeaderSyntax.ParseList(value, header, warnings))
        {
            if (!IsShardPrefix(item)) warnings.Add($"{header}: {HeaderSyntax.Show(item)} is not {CapabilityBounds.MinShardPrefixLength}..64 lowercase hex chars; ignored");
            else if (!set.Add(item)) warnings.Add($"{header}: {item} is listed twice; ignored");
            else if (result.Count == CapabilityBounds.MaxShards) overflow++;
            else result.Add(item);
        }
        if (overflow > 0) warnings.Add($"{header}: more than {CapabilityBounds.MaxShards} hashes; {overflow} ignored");
        return result;
    }

    /// <summary>source=battery|mains, prefer=energy|latency (bare tokens); an absent member means mains / latency.</summary>
    private static PowerState? ParsePower(string value, WarningList warnings)
    {
        bool onBattery = false, saveEnergy = false;
        var any = ForEachMember(HeaderNames.Power, value, warnings, ["source", "prefer"], m =>
        {
            if (m.Key == "source")
            {
                if (m.Quoted || m.Value is not ("battery" or "mains")) return "is not battery or mains";
                onBattery = m.Value == "battery";
            }
            else
            {
                if (m.Quoted || m.Value is not ("energy" or "latency")) return "is not energy or latency";
                saveEnergy = m.Value == "energy";
            }
            return null;
        });
        return any ? new PowerState(onBattery, saveEnergy) : null;
    }

    private static SplitPreference ParseSplit(string value, WarningList warnings)
    {
        if (SplitPreference.TryParse(value, out var preference)) return preference;
        warnings.Add($"{HeaderNames.Split}: {HeaderSyntax.Show(value)} is not none, auto or k=<0..{CapabilityBounds.MaxSplitK}>; using auto");
        return SplitPreference.Auto;
    }

    internal static bool IsFeature(string s) =>
        s.Length is > 0 and <= CapabilityBounds.MaxFeatureLength && (char.IsAsciiLetterLower(s[0]) || char.IsAsciiDigit(s[0]))
        && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');

    internal static bool IsShardPrefix(string s) => s.Length is >= CapabilityBounds.MinShardPrefixLength and <= 64 && PrintableAscii.IsLowerHex(s);

    /// <summary>
    /// Runs <paramref name="accept"/> on each member with a known key (it returns null, or why the value is bad), once per key:
    /// later duplicates, unknown keys and bad values become warnings. True when any member was accepted.
    /// </summary>
    private static bool ForEachMember(string header, string value, WarningList warnings, string[] keys, Func<HeaderSyntax.Member, string?> accept)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        foreach (var member in HeaderSyntax.ParseMembers(value, header, warnings))
        {
            if (!keys.Contains(member.Key))
            {
                warnings.Add($"{header}: unknown key {member.Key}; ignored");
                continue;
            }
            if (!seen.Add(member.Key))
            {
                warnings.Add($"{header}: duplicate key {member.Key}; the first value is used");
                continue;
            }
            var error = accept(member);
            if (error is null) any = true;
            else warnings.Add($"{header}: {member.Key}={HeaderSyntax.Show(member.Value)} {error}; ignored");
        }
        return any;
    }
}
