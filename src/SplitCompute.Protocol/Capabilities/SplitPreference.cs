using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// What a client asks of the split planner, as X-SplitCompute-Split carries it: "auto" (or no header) lets the gateway choose k,
/// "none" keeps every layer in the cloud, "k=&lt;int&gt;" asks for a given k (tests and demos; the gateway decides whether to
/// honour it). The one type for it from the header to the planner: the header parser and writer, the gateway and the edge
/// client's API all use it.
/// </summary>
public sealed record SplitPreference
{
    private SplitPreference(bool isNone, int? forcedK)
    {
        IsNone = isNone;
        ForcedK = forcedK;
    }

    /// <summary>"auto": the gateway chooses k (the default).</summary>
    public static SplitPreference Auto { get; } = new(isNone: false, forcedK: null);

    /// <summary>"none": do not split; the cloud runs all layers and returns finished embeddings (k = n).</summary>
    public static SplitPreference None { get; } = new(isNone: true, forcedK: null);

    /// <summary>"k=&lt;int&gt;": asks for split point <paramref name="k"/> (layers [0, k) in the cloud, [k, n) at the edge).</summary>
    public static SplitPreference Force(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return new(isNone: false, k);
    }

    public bool IsAuto => !IsNone && ForcedK is null;

    public bool IsNone { get; }

    /// <summary>The k asked for; null for "auto" and "none".</summary>
    public int? ForcedK { get; }

    /// <summary>The header's value: "auto", "none" or "k=3".</summary>
    public string HeaderValue => ForcedK is { } k ? "k=" + k.ToString(CultureInfo.InvariantCulture) : IsNone ? "none" : "auto";

    /// <summary>Reads a header value; false for anything but "auto", "none" or k=0..<see cref="CapabilityBounds.MaxSplitK"/>.</summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out SplitPreference? preference)
    {
        ArgumentNullException.ThrowIfNull(value);
        preference = value switch
        {
            "auto" => Auto,
            "none" => None,
            _ when value.StartsWith("k=", StringComparison.Ordinal) && HeaderSyntax.TryParseInteger(value[2..], out var k) && k <= CapabilityBounds.MaxSplitK => Force((int)k),
            _ => null,
        };
        return preference is not null;
    }

    public override string ToString() => HeaderValue;
}
