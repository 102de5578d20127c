namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The client's view of its network (X-SplitCompute-Network): downlink in Mbit/s (as navigator.connection.downlink)
/// and round-trip time in milliseconds.
/// </summary>
public sealed record NetworkMeasurements(double? DownlinkMbps = null, double? RttMs = null);
