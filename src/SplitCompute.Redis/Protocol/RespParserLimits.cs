namespace SplitCompute.Redis.Protocol;

/// <summary>
/// Bounds on what the parser accepts, so a broken or hostile peer cannot make it allocate without limit or recurse
/// deeply. The defaults follow redis-server's own (proto-max-bulk-len is 512 MB).
/// </summary>
public sealed record RespParserLimits
{
    public static RespParserLimits Default { get; } = new();

    /// <summary>Arrays nested deeper than this are refused (the top-level value is depth 1).</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>Largest element count of one array.</summary>
    public int MaxArrayLength { get; init; } = 1024 * 1024;

    /// <summary>Largest bulk string, in bytes.</summary>
    public int MaxBulkLength { get; init; } = 512 * 1024 * 1024;

    /// <summary>Longest simple string or error line, in bytes: without it a missing CRLF would buffer forever.</summary>
    public int MaxLineLength { get; init; } = 64 * 1024;
}
