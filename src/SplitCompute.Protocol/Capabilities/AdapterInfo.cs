namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The client's WebGPU adapter as GPUAdapterInfo reports it (X-SplitCompute-Adapter). Browsers may blank any of
/// these for privacy, so each is optional; they are informative (logging, per-architecture tuning), never trusted for security.
/// </summary>
public sealed record AdapterInfo(string? Vendor = null, string? Architecture = null, string? Device = null, string? Backend = null);
