using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Protocol.Tests.Capabilities;

public sealed class CapabilityHeaderParserTests
{
    private static readonly Dictionary<string, string> ValidHeaders = new()
    {
        [HeaderNames.Version] = "1",
        [HeaderNames.Adapter] = "vendor=\"nvidia\"; architecture=\"hopper\"; device=\"NVIDIA H100\"; backend=\"vulkan\"",
        [HeaderNames.Limits] = "max-buffer=4294967296, max-storage-binding=2147483644, max-workgroup-storage=32768",
        [HeaderNames.Features] = "shader-f16, subgroups",
        [HeaderNames.Perf] = "gflops=123.4, upload-gbps=1.2",
        [HeaderNames.Network] = "downlink-mbps=50, rtt-ms=20",
        [HeaderNames.Shards] = "0123456789abcdef, " + new string('a', 64),
        [HeaderNames.Resident] = "0123456789abcdef",
        [HeaderNames.Power] = "source=battery, prefer=energy",
        [HeaderNames.Split] = "k=6",
    };

    private static CapabilityParseResult Parse(IDictionary<string, string> headers) =>
        CapabilityHeaderParser.Parse(name => headers.TryGetValue(name, out var v) ? v : null);

    private static CapabilityParseResult ParseWith(string header, string value)
    {
        var headers = new Dictionary<string, string>(ValidHeaders) { [header] = value };
        return Parse(headers);
    }

    [Fact]
    public void ValidHeadersParse()
    {
        var (caps, warnings) = Parse(ValidHeaders);

        Assert.Empty(warnings);
        Assert.NotNull(caps);
        Assert.Equal(new AdapterInfo("nvidia", "hopper", "NVIDIA H100", "vulkan"), caps.Adapter);
        Assert.Equal(new AdapterLimits(4294967296, 2147483644, 32768), caps.Limits);
        Assert.Equal(["shader-f16", "subgroups"], caps.Features);
        Assert.Equal(new PerfMeasurements(123.4, 1.2), caps.Perf);
        Assert.Equal(new NetworkMeasurements(50, 20), caps.Network);
        Assert.Equal(["0123456789abcdef", new string('a', 64)], caps.HeldShards);
        Assert.Equal(["0123456789abcdef"], caps.ResidentShards);
        Assert.Equal(new PowerState(OnBattery: true, SaveEnergy: true), caps.Power);
        Assert.Equal(SplitPreference.Force(6), caps.Split);
        Assert.True(caps.HasWebGpu);
        Assert.True(caps.CanPlan);
        Assert.True(caps.HasFeature("shader-f16"));
        Assert.True(caps.HoldsShard("0123456789abcdef" + new string('0', 48)));
        Assert.False(caps.HoldsShard("0123456789abcdee" + new string('0', 48)));
        Assert.True(caps.HasResident("0123456789abcdef" + new string('0', 48)));
        Assert.False(caps.HasResident(new string('a', 64)));
    }

    [Fact]
    public void NoProtocolHeadersMeansAPlainClientWithoutWarnings()
    {
        var (caps, warnings) = Parse(new Dictionary<string, string> { ["Accept"] = "application/json" });
        Assert.Null(caps);
        Assert.Empty(warnings);
    }

    [Fact]
    public void MissingVersionIgnoresEverything()
    {
        var headers = new Dictionary<string, string>(ValidHeaders);
        headers.Remove(HeaderNames.Version);
        var (caps, warnings) = Parse(headers);
        Assert.Null(caps);
        Assert.Equal(["X-SplitCompute-Version: missing; capability headers ignored"], warnings);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("1.0")]
    [InlineData("1, 1")]
    public void UnsupportedVersionIgnoresEverything(string version)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Version, version);
        Assert.Null(caps);
        Assert.Equal([$"X-SplitCompute-Version: \"{version}\" is not a supported version (supported: 1); capability headers ignored"], warnings);
    }

    [Fact]
    public void MinimalClientCannotPlan()
    {
        var (caps, warnings) = Parse(new Dictionary<string, string> { [HeaderNames.Version] = " 1 " });
        Assert.Empty(warnings);
        Assert.Equal(new ClientCapabilities(), caps);
        Assert.False(caps!.HasWebGpu);
        Assert.False(caps.CanPlan);
        Assert.Equal(SplitPreference.Auto, caps.Split);
    }

    [Theory]
    [InlineData("X-SplitCompute-Perf", "gflops=abc, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"abc\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=0, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"0\" is out of range (0, 1000000]; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=1e7, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"1e7\" is out of range (0, 1000000]; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=1e999, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"1e999\" is out of range (0, 1000000]; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=NaN, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"NaN\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=-5, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"-5\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=\"5\", upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\"5\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Perf", "gflops=.5, upload-gbps=1.2", "X-SplitCompute-Perf: gflops=\".5\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Network", "downlink-mbps=50, rtt-ms=60001", "X-SplitCompute-Network: rtt-ms=\"60001\" is out of range [0, 60000]; ignored")]
    [InlineData("X-SplitCompute-Network", "downlink-mbps=0x10, rtt-ms=20", "X-SplitCompute-Network: downlink-mbps=\"0x10\" is not a number; ignored")]
    [InlineData("X-SplitCompute-Limits", "max-buffer=1.5, max-storage-binding=2147483644", "X-SplitCompute-Limits: max-buffer=\"1.5\" is not an integer; ignored")]
    [InlineData("X-SplitCompute-Limits", "max-buffer=0", "X-SplitCompute-Limits: max-buffer=\"0\" is out of range [1, 9007199254740991]; ignored")]
    [InlineData("X-SplitCompute-Limits", "max-buffer=99999999999999999", "X-SplitCompute-Limits: max-buffer=\"99999999999999999\" is not an integer; ignored")]
    public void BadValueIsIgnoredWithAWarningNamingHeaderAndKey(string header, string value, string warning)
    {
        var (caps, warnings) = ParseWith(header, value);
        Assert.Equal([warning], warnings);
        Assert.NotNull(caps);
        // The other values of the same header survive.
        if (header == HeaderNames.Perf) Assert.Equal(new PerfMeasurements(null, 1.2), caps.Perf);
        if (header == HeaderNames.Network && value.Contains("rtt-ms=60001", StringComparison.Ordinal)) Assert.Equal(new NetworkMeasurements(50, null), caps.Network);
        // The other headers survive.
        Assert.Equal(new AdapterInfo("nvidia", "hopper", "NVIDIA H100", "vulkan"), caps.Adapter);
    }

    [Fact]
    public void MissingMeasurementsMeanTheGatewayCannotPlan()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Network, "downlink-mbps=50, rtt-ms=-1");
        Assert.Single(warnings);
        Assert.Equal(new NetworkMeasurements(50, null), caps!.Network);
        Assert.False(caps.CanPlan);
        Assert.True(caps.HasWebGpu);
    }

    [Fact]
    public void UnknownKeysAreIgnoredWithAWarning()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Perf, "gflops=10, tflops=1");
        Assert.Equal(["X-SplitCompute-Perf: unknown key tflops; ignored"], warnings);
        Assert.Equal(new PerfMeasurements(10, null), caps!.Perf);
    }

    [Fact]
    public void UnknownProtocolHeadersAreReportedWhenHeadersAreEnumerable()
    {
        var headers = ValidHeaders.Select(kv => new KeyValuePair<string, IEnumerable<string>>(kv.Key.ToLowerInvariant(), [kv.Value]))
            .Append(new("X-SplitCompute-Colour", ["blue"]))
            .Append(new("User-Agent", ["test"]));
        var (caps, warnings) = CapabilityHeaderParser.Parse(headers);
        Assert.Equal(["X-SplitCompute-Colour: unknown header; ignored"], warnings);
        Assert.Equal(Parse(ValidHeaders).Capabilities, caps);
    }

    [Fact]
    public void RepeatedHeaderLinesAreJoined()
    {
        var headers = new List<KeyValuePair<string, IEnumerable<string>>>
        {
            new(HeaderNames.Version, ["1"]),
            new(HeaderNames.Features, ["shader-f16"]),
            new(HeaderNames.Features, ["subgroups", "timestamp-query"]),
        };
        var (caps, warnings) = CapabilityHeaderParser.Parse(headers);
        Assert.Empty(warnings);
        Assert.Equal(["shader-f16", "subgroups", "timestamp-query"], caps!.Features);
    }

    [Fact]
    public void DuplicateKeysKeepTheFirstValue()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Network, "downlink-mbps=50, rtt-ms=20, downlink-mbps=5000");
        Assert.Equal(["X-SplitCompute-Network: duplicate key downlink-mbps; the first value is used"], warnings);
        Assert.Equal(new NetworkMeasurements(50, 20), caps!.Network);
    }

    [Fact]
    public void DuplicateListItemsAreDropped()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Features, "subgroups, shader-f16, subgroups");
        Assert.Equal(["X-SplitCompute-Features: subgroups is listed twice; ignored"], warnings);
        Assert.Equal(["subgroups", "shader-f16"], caps!.Features);
    }

    [Fact]
    public void OversizedHeadersAreIgnored()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Adapter, "vendor=\"" + new string('x', 1100) + "\"");
        Assert.Equal(["X-SplitCompute-Adapter: 1109 chars is over the 1024-char limit; header ignored"], warnings);
        Assert.Null(caps!.Adapter);

        var shards = string.Join(",", Enumerable.Range(0, 300).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)));
        (caps, warnings) = ParseWith(HeaderNames.Shards, shards);
        Assert.Equal([$"X-SplitCompute-Shards: {shards.Length} chars is over the 16384-char limit; header ignored"], warnings);
        Assert.Empty(caps!.HeldShards);
    }

    [Fact]
    public void TooManyShardsKeepsTheFirst256()
    {
        var shards = Enumerable.Range(0, 300).Select(i => i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (caps, warnings) = ParseWith(HeaderNames.Shards, string.Join(", ", shards));
        Assert.Equal(["X-SplitCompute-Shards: more than 256 hashes; 44 ignored"], warnings);
        Assert.Equal(shards[..256], caps!.HeldShards);
    }

    [Theory]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123456789abcde")]
    [InlineData("0123456789abcdeg")]
    public void BadShardHashesAreIgnored(string hash)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Shards, $"{hash}, fedcba9876543210");
        Assert.Equal([$"X-SplitCompute-Shards: \"{hash}\" is not 16..64 lowercase hex chars; ignored"], warnings);
        Assert.Equal(["fedcba9876543210"], caps!.HeldShards);
    }

    [Theory]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123456789abcde")]
    [InlineData("0123456789abcdeg")]
    public void BadResidentHashesAreIgnored(string hash)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Resident, $"{hash}, fedcba9876543210, fedcba9876543210");
        Assert.Equal(
        [
            $"X-SplitCompute-Resident: \"{hash}\" is not 16..64 lowercase hex chars; ignored",
            "X-SplitCompute-Resident: fedcba9876543210 is listed twice; ignored",
        ], warnings);
        Assert.Equal(["fedcba9876543210"], caps!.ResidentShards);
        Assert.Equal(["0123456789abcdef", new string('a', 64)], caps.HeldShards);
    }

    [Fact]
    public void ResidentHasTheShardsLimits()
    {
        var shards = Enumerable.Range(0, 300).Select(i => i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (caps, warnings) = ParseWith(HeaderNames.Resident, string.Join(", ", shards));
        Assert.Equal(["X-SplitCompute-Resident: more than 256 hashes; 44 ignored"], warnings);
        Assert.Equal(shards[..256], caps!.ResidentShards);

        var full = string.Join(",", Enumerable.Range(0, 300).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)));
        (caps, warnings) = ParseWith(HeaderNames.Resident, full);
        Assert.Equal([$"X-SplitCompute-Resident: {full.Length} chars is over the 16384-char limit; header ignored"], warnings);
        Assert.Empty(caps!.ResidentShards);
    }

    [Theory]
    [InlineData("source=battery, prefer=energy", true, true)]
    [InlineData("source=mains; prefer=latency", false, false)]
    [InlineData("prefer=energy", false, true)]
    [InlineData("source=battery", true, false)]
    public void PowerParses(string value, bool onBattery, bool saveEnergy)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Power, value);
        Assert.Empty(warnings);
        Assert.Equal(new PowerState(onBattery, saveEnergy), caps!.Power);
    }

    [Theory]
    [InlineData("source=solar, prefer=energy", "X-SplitCompute-Power: source=\"solar\" is not battery or mains; ignored", false, true)]
    [InlineData("source=\"battery\", prefer=energy", "X-SplitCompute-Power: source=\"battery\" is not battery or mains; ignored", false, true)]
    [InlineData("source=battery, prefer=Energy", "X-SplitCompute-Power: prefer=\"Energy\" is not energy or latency; ignored", true, false)]
    [InlineData("source=battery, level=40", "X-SplitCompute-Power: unknown key level; ignored", true, false)]
    [InlineData("source=battery, source=mains", "X-SplitCompute-Power: duplicate key source; the first value is used", true, false)]
    public void BadPowerMembersAreIgnoredWithAWarning(string value, string warning, bool onBattery, bool saveEnergy)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Power, value);
        Assert.Equal([warning], warnings);
        Assert.Equal(new PowerState(onBattery, saveEnergy), caps!.Power);
    }

    [Theory]
    [InlineData("source=1", "X-SplitCompute-Power: source=\"1\" is not battery or mains; ignored")]
    [InlineData("battery", "X-SplitCompute-Power: member 1 is malformed (expected '=' after battery); ignored")]
    public void PowerWithNoGoodMemberIsAbsent(string value, string warning)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Power, value);
        Assert.Equal([warning], warnings);
        Assert.Null(caps!.Power);
        Assert.NotNull(caps.Adapter);
    }

    [Theory]
    [InlineData("vendor=\"nvidi\u00e4\"", "U+00E4")]
    [InlineData("vendor=\"nvidia\"\r\nX-Evil: 1", "U+000D")]
    [InlineData("vendor=\"a\0\"", "U+0000")]
    public void NonAsciiOrControlCharactersIgnoreTheHeader(string value, string code)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Adapter, value);
        Assert.Equal([$"X-SplitCompute-Adapter: contains a character outside printable ASCII ({code}); header ignored"], warnings);
        Assert.Null(caps!.Adapter);
    }

    [Theory]
    [InlineData("vendor=nvidia; device=\"unterminated", "X-SplitCompute-Adapter: member 2 is malformed (unterminated quoted value for device); ignored")]
    [InlineData("vendor=nvidia; Device=\"x\"", "X-SplitCompute-Adapter: member 2 is malformed (bad key \"Device\"); ignored")]
    [InlineData("vendor=nvidia; device", "X-SplitCompute-Adapter: member 2 is malformed (expected '=' after device); ignored")]
    [InlineData("vendor=nvidia;; device=\"x\"", "X-SplitCompute-Adapter: member 2 is malformed (empty key); ignored")]
    [InlineData("vendor=nvidia; device=\"a\\b\"", "X-SplitCompute-Adapter: member 2 is malformed (bad escape in the value of device); ignored")]
    [InlineData("vendor=nvidia; device=x y", "X-SplitCompute-Adapter: member 2 (device) is followed by \"y\" instead of ',' or ';'; ignored")]
    public void MalformedMembersAreSkipped(string value, string warning)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Adapter, value);
        Assert.Equal([warning], warnings);
        Assert.Equal("nvidia", caps!.Adapter!.Vendor);
    }

    [Fact]
    public void QuotedStringsUnescapeAndSeparatorsInsideQuotesAreData()
    {
        var (caps, warnings) = ParseWith(HeaderNames.Adapter, "device=\"GPU \\\"X\\\", rev; 2\\\\\" , vendor=amd");
        Assert.Empty(warnings);
        Assert.Equal(new AdapterInfo("amd", null, "GPU \"X\", rev; 2\\", null), caps!.Adapter);
    }

    public static TheoryData<string, SplitPreference> SplitValues => new()
    {
        { "auto", SplitPreference.Auto },
        { "none", SplitPreference.None },
        { "k=0", SplitPreference.Force(0) },
        { "k=12", SplitPreference.Force(12) },
    };

    [Theory]
    [MemberData(nameof(SplitValues))]
    public void SplitParses(string value, SplitPreference expected)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Split, value);
        Assert.Empty(warnings);
        Assert.Equal(expected, caps!.Split);
        Assert.Equal(value, caps.Split.HeaderValue);
    }

    [Theory]
    [InlineData("k=-1")]
    [InlineData("k=1025")]
    [InlineData("K=3")]
    [InlineData("always")]
    [InlineData("k=")]
    public void BadSplitFallsBackToAuto(string value)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Split, value);
        Assert.Equal([$"X-SplitCompute-Split: \"{value}\" is not none, auto or k=<0..1024>; using auto"], warnings);
        Assert.Equal(SplitPreference.Auto, caps!.Split);
    }

    [Theory]
    [InlineData("Shader-F16")]
    [InlineData("shader f16")]
    [InlineData("-x")]
    public void BadFeatureNamesAreIgnored(string feature)
    {
        var (caps, warnings) = ParseWith(HeaderNames.Features, $"subgroups, {feature}");
        Assert.Equal([$"X-SplitCompute-Features: \"{feature}\" is not a feature name; ignored"], warnings);
        Assert.Equal(["subgroups"], caps!.Features);
    }

    [Fact]
    public void WarningsAreBounded()
    {
        var junk = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"B{i}"));
        var (_, warnings) = ParseWith(HeaderNames.Features, junk);
        Assert.Equal(33, warnings.Count);
        Assert.Equal("68 more warnings not shown", warnings[^1]);
    }
}
