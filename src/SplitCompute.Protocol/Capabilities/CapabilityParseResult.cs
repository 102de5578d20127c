namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The parsed capabilities (null when the client sent no usable X-SplitCompute-Version) and what was ignored and why.
/// Each warning is printable ASCII, at most ~200 chars, and names the header and key, so the gateway can echo it
/// verbatim in an X-SplitCompute-Warning response header.
/// </summary>
public sealed record CapabilityParseResult(ClientCapabilities? Capabilities, IReadOnlyList<string> Warnings);
