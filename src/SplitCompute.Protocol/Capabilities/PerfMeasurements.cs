namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// What the client measured on its GPU (X-SplitCompute-Perf): sustained f32 matmul throughput in GFLOP/s, and
/// host-to-GPU upload throughput in Gbit/s (10^9 bits per second, like every bandwidth in this protocol).
/// </summary>
public sealed record PerfMeasurements(double? Gflops = null, double? UploadGbps = null);
