using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Protocol.Tests.Capabilities;

public sealed class CapabilityPropertyTests
{
    /// <summary>Characters that exercise the grammar: separators, quotes, escapes, digits, and some that must be refused.</summary>
    private static readonly char[] Alphabet = "abcdefkmnrstuvwxyz0123456789=,;\"\\ \t.-+eE_/:*\u00e9\r\n\0\u2028Z".ToCharArray();

    private static readonly string[] Fragments =
    [
        "gflops=", "upload-gbps=", "downlink-mbps=", "rtt-ms=", "max-buffer=", "vendor=", "device=\"", "k=", "auto", "none",
        "1e999", "1.5", "0", "60000", "\\\"", "\"", ", ", "; ", "shader-f16", "0123456789abcdef",
    ];

    private static Gen<string> HeaderValue()
    {
        var piece = Gen.Frequency(
            (3, Gen.Elements(Alphabet).Select(c => c.ToString())),
            (2, Gen.Elements(Fragments)));
        return Gen.Frequency(
            (10, Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(piece, n)).Select(string.Concat)),
            (1, Gen.Choose(1000, 20000).Select(n => new string('a', n))));
    }

    [Fact]
    public void RandomHeaderValuesNeverThrow()
    {
        var names = HeaderNames.CapabilityHeaders.Where(n => n != HeaderNames.Version).ToArray();
        var headers = Gen.ArrayOf(Gen.Elements(names).SelectMany(_ => HeaderValue(), (n, v) => (Name: n, Value: v)))
            .Select(pairs => pairs.Append((Name: HeaderNames.Version, Value: "1")).ToArray());

        Prop.ForAll(headers.ToArbitrary(), pairs =>
        {
            var lookup = pairs.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => string.Join(",", g.Select(p => p.Value)));
            var (caps, warnings) = CapabilityHeaderParser.Parse(n => lookup.GetValueOrDefault(n));
            Assert.NotNull(caps);
            Assert.True(warnings.Count <= CapabilityBounds.MaxWarnings + 1);
            foreach (var w in warnings)
            {
                // Warnings go back verbatim in a response header: printable ASCII and bounded.
                Assert.True(w.All(c => c is >= ' ' and <= '~'), w);
                Assert.True(w.Length <= 256, w);
            }
            // Whatever was accepted must be writable and read back identically.
            var written = CapabilityHeaderWriter.Write(caps);
            var reread = CapabilityHeaderParser.Parse(written.Select(kv => new KeyValuePair<string, IEnumerable<string>>(kv.Key, [kv.Value])));
            Assert.Empty(reread.Warnings);
            Assert.Equal(Normalized(caps), reread.Capabilities);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Parts with no values are written as no header, so they read back as absent.</summary>
    private static ClientCapabilities Normalized(ClientCapabilities c) => c with
    {
        Adapter = c.Adapter == new AdapterInfo() ? null : c.Adapter,
        Limits = c.Limits == new AdapterLimits() ? null : c.Limits,
        Perf = c.Perf == new PerfMeasurements() ? null : c.Perf,
        Network = c.Network == new NetworkMeasurements() ? null : c.Network,
    };

    [Fact]
    public void WriterThenParserRoundTrips()
    {
        var printable = Gen.Choose(0x20, 0x7E).Select(i => (char)i);
        var text = Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(printable, n)).Select(a => new string(a));
        var optionalText = Gen.Frequency((1, Gen.Constant<string?>(null)), (3, text.Select(s => (string?)s)));
        var adapter = from v in optionalText from a in optionalText from d in optionalText from b in optionalText
                      select new AdapterInfo(v, a, d, b);
        var limit = Gen.Frequency((1, Gen.Constant<long?>(null)), (3, Gen.Choose(1, int.MaxValue).Select(i => (long?)i * 4097)));
        var limits = from a in limit from b in limit from c in limit select new AdapterLimits(a, b, c);
        // Doubles of every magnitude in range, not just integers: the number format must round-trip exactly.
        var positive = Gen.Choose(-300, 6).SelectMany(e => Gen.Choose(1, 999_999).Select(m => Math.Min(1e6, m / 1e6 * Math.Pow(10, e))));
        var maybe = Gen.Frequency((1, Gen.Constant<double?>(null)), (3, positive.Select(x => (double?)x)));
        var perf = from g in maybe from u in maybe select new PerfMeasurements(g, u is null ? null : Math.Min(u.Value, 1e4));
        var network = from d in maybe from r in Gen.Frequency((1, Gen.Constant<double?>(null)), (1, Gen.Constant<double?>(0)), (3, Gen.Choose(0, 600_000).Select(i => (double?)(i / 10.0))))
                      select new NetworkMeasurements(d, r);
        var features = Gen.SubListOf(["shader-f16", "subgroups", "timestamp-query", "float32-filterable", "x.y_z-1"]).Select(l => (IReadOnlyList<string>)l.ToArray());
        var shard = Gen.Choose(16, 64).SelectMany(n => Gen.ArrayOf(Gen.Elements("0123456789abcdef".ToCharArray()), n)).Select(a => new string(a));
        var shards = Gen.Choose(0, 256).SelectMany(n => Gen.ArrayOf(shard, n)).Select(a => (IReadOnlyList<string>)a.Distinct().ToArray());
        var split = Gen.OneOf(Gen.Constant(SplitPreference.Auto), Gen.Constant(SplitPreference.None), Gen.Choose(0, 1024).Select(SplitPreference.Force));

        var caps =
            from a in Gen.Frequency((1, Gen.Constant<AdapterInfo?>(null)), (3, adapter.Where(x => x != new AdapterInfo()).Select(x => (AdapterInfo?)x)))
            from l in Gen.Frequency((1, Gen.Constant<AdapterLimits?>(null)), (3, limits.Where(x => x != new AdapterLimits()).Select(x => (AdapterLimits?)x)))
            from f in features
            from p in Gen.Frequency((1, Gen.Constant<PerfMeasurements?>(null)), (3, perf.Where(x => x != new PerfMeasurements()).Select(x => (PerfMeasurements?)x)))
            from n in Gen.Frequency((1, Gen.Constant<NetworkMeasurements?>(null)), (3, network.Where(x => x != new NetworkMeasurements()).Select(x => (NetworkMeasurements?)x)))
            from s in shards
            from r in shards
            from pw in Gen.Frequency((1, Gen.Constant<PowerState?>(null)), (3, from b in Gen.Elements(true, false) from e in Gen.Elements(true, false) select (PowerState?)new PowerState(b, e)))
            from sp in split
            select new ClientCapabilities { Adapter = a, Limits = l, Features = f, Perf = p, Network = n, HeldShards = s, ResidentShards = r, Power = pw, Split = sp };

        Prop.ForAll(caps.ToArbitrary(), original =>
        {
            var headers = CapabilityHeaderWriter.Write(original);
            Assert.All(headers, h => Assert.True(h.Value.All(c => c is >= ' ' and <= '~'), h.Value));
            var (parsed, warnings) = CapabilityHeaderParser.Parse(name => headers.FirstOrDefault(h => h.Key == name).Value);
            Assert.Empty(warnings);
            Assert.Equal(original, parsed);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void WriterRefusesWhatTheParserWouldDrop()
    {
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Perf = new PerfMeasurements(0) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Perf = new PerfMeasurements(double.NaN) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Network = new NetworkMeasurements(10, 60001) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Adapter = new AdapterInfo("nvidi\u00e4") }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Adapter = new AdapterInfo(new string('x', 129)) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Limits = new AdapterLimits(0) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Features = ["Shader-F16"] }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { HeldShards = ["abc"] }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { HeldShards = ["0123456789abcdef", "0123456789abcdef"] }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { ResidentShards = ["abc"] }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { ResidentShards = ["0123456789abcdef", "0123456789abcdef"] }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Split = SplitPreference.Force(1025) }));
        Assert.Throws<ArgumentException>(() => CapabilityHeaderWriter.Write(new ClientCapabilities { Version = 2 }));
    }

    [Fact]
    public void WriterEmitsTheDocumentedSpelling()
    {
        var headers = CapabilityHeaderWriter.Write(new ClientCapabilities
        {
            Adapter = new AdapterInfo("nvidia", "hopper", "NVIDIA H100", "vulkan"),
            Limits = new AdapterLimits(MaxBuffer: 268435456),
            Features = ["shader-f16", "subgroups"],
            Perf = new PerfMeasurements(123.4, 1.2),
            Network = new NetworkMeasurements(50, 20),
            HeldShards = [CapabilityHeaderWriter.ShardPrefix(Fixtures.Hash("layer1"))],
            ResidentShards = [CapabilityHeaderWriter.ShardPrefix(Fixtures.Hash("layer1"))],
            Power = new PowerState(OnBattery: true, SaveEnergy: false),
            Split = SplitPreference.Force(6),
        });
        Assert.Equal(
        [
            new(HeaderNames.Version, "1"),
            new(HeaderNames.Adapter, "vendor=\"nvidia\"; architecture=\"hopper\"; device=\"NVIDIA H100\"; backend=\"vulkan\""),
            new(HeaderNames.Limits, "max-buffer=268435456"),
            new(HeaderNames.Features, "shader-f16, subgroups"),
            new(HeaderNames.Perf, "gflops=123.4, upload-gbps=1.2"),
            new(HeaderNames.Network, "downlink-mbps=50, rtt-ms=20"),
            new(HeaderNames.Shards, Fixtures.Hash("layer1")[..16]),
            new(HeaderNames.Resident, Fixtures.Hash("layer1")[..16]),
            new(HeaderNames.Power, "source=battery, prefer=latency"),
            new(HeaderNames.Split, "k=6"),
        ], headers);
    }
}
