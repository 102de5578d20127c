namespace SplitCompute.InferenceWorker.Execution;

/// <summary>The backend a worker ended up with, what it runs on, and (when it fell back to the CPU) why.</summary>
public sealed record DeviceChoice(string Device, string DeviceName, string? FallbackReason);
