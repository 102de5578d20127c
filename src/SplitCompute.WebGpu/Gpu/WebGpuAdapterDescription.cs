namespace SplitCompute.WebGpu.Gpu;

/// <summary>The adapter as Dawn describes it (GPUAdapterInfo plus the backend and adapter type).</summary>
public sealed record WebGpuAdapterDescription(
    string Vendor, string Architecture, string Device, string Description, string Backend, string AdapterType, uint VendorId, uint DeviceId)
{
    public override string ToString() =>
        $"{Device} (vendor '{Vendor}', architecture '{Architecture}', backend {Backend}, type {AdapterType}{(Description.Length > 0 ? $", {Description}" : "")})";
}
