namespace SplitCompute.Model.Forward;

/// <summary>A backend that holds memory on an accelerator reports how much, for the worker's device-memory gauge.</summary>
public interface IDeviceMemoryReport
{
    /// <summary>Bytes this backend has allocated on its device (weights, workspaces, graphs).</summary>
    long DeviceMemoryBytes { get; }
}
