namespace SplitCompute.Redis.Protocol;

/// <summary>
/// The byte stream is not valid RESP2, or a value exceeds a <see cref="RespParserLimits"/> limit. The stream cannot be
/// resynchronised after this (RESP has no frame markers), so a connection that sees it must be closed.
/// </summary>
public sealed class RespProtocolException : Exception
{
    public RespProtocolException(string message, long position) : base($"{message} (at byte {position})") => Position = position;

    public RespProtocolException() { }

    public RespProtocolException(string message) : base(message) { }

    public RespProtocolException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Offset in the stream (bytes since the parser was created) where the problem was found.</summary>
    public long Position { get; }
}
