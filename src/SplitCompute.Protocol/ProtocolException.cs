namespace SplitCompute.Protocol;

/// <summary>
/// A frame or manifest received from another party is malformed, inconsistent or over a limit.
/// One exception type so a caller can answer "bad input" (HTTP 400/502) without knowing every failure mode;
/// the message names the field, what was expected and what was found, and the byte offset where one applies.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message, string? field = null, long? offset = null, Exception? inner = null)
        : base(Compose(message, field, offset), inner)
    {
        Field = field;
        Offset = offset;
        Detail = message;
    }

    /// <summary>The message without the field/offset prefix.</summary>
    public string Detail { get; }

    /// <summary>The offending field (e.g. "shape", "manifest.shards[3].sha256"), when one is to blame.</summary>
    public string? Field { get; }

    /// <summary>
    /// A machine-readable reason for HTTP answers (OpenAI's error <c>code</c>, e.g. "context_length_exceeded"), when one applies;
    /// null for a plain invalid value.
    /// </summary>
    public string? Code { get; init; }

    /// <summary>Byte offset in the frame where the problem was found, when meaningful.</summary>
    public long? Offset { get; }

    private static string Compose(string message, string? field, long? offset)
    {
        var prefix = (field, offset) switch
        {
            (not null, not null) => $"{field} (byte {offset}): ",
            (not null, null) => $"{field}: ",
            (null, not null) => $"byte {offset}: ",
            _ => "",
        };
        return prefix + message;
    }
}
