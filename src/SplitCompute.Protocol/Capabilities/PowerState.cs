namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The client's power state (X-SplitCompute-Power): whether it runs on battery, and whether its user asked to spare this
/// device's battery (prefer=energy) rather than to minimise latency. The planner may move fewer layers to a device that saves
/// energy; it never moves more because of it.
/// </summary>
public sealed record PowerState(bool OnBattery, bool SaveEnergy);
