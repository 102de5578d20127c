namespace SplitCompute.Protocol.Frames;

/// <summary>
/// Fixed layout of a frame: magic "SCHF", u32 LE version, u64 LE header length, JSON header (space-padded so the
/// payload starts 8-byte aligned and can be viewed in place as Float32Array / numpy), then the payload.
/// </summary>
public static class FrameFormat
{
    /// <summary>"SCHF": SplitCompute Hidden-state Frame.</summary>
    public static ReadOnlySpan<byte> Magic => "SCHF"u8;

    /// <summary>The only version this library reads and writes.</summary>
    public const uint Version = 1;

    /// <summary>Magic (4) + version (4) + header length (8).</summary>
    public const int PrefixLength = 16;

    /// <summary>The header length is a multiple of this, so the payload offset is too.</summary>
    public const int Alignment = 8;

    public const int VersionOffset = 4;
    public const int HeaderLengthOffset = 8;

    internal static string ToWire(FrameKind kind) => kind == FrameKind.Hidden ? "hidden" : "embeddings";

    internal static string ToWire(FrameDType dtype) => dtype == FrameDType.F32 ? "f32" : "f16";

    internal static string ToWire(FramePooling pooling) => pooling switch
    {
        FramePooling.Last => "last",
        FramePooling.Cls => "cls",
        FramePooling.Max => "max",
        _ => "mean",
    };

    internal static int SizeOf(FrameDType dtype) => dtype == FrameDType.F32 ? 4 : 2;
}
