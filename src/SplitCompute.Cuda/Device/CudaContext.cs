using System.Runtime.InteropServices;
using System.Text;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>
/// One GPU: its primary context (shared with cuBLASLt, which uses the runtime API on the same primary context) and one
/// non-blocking stream all work of this process goes through. Every call site makes the context current first, because
/// ASP.NET and the thread pool hand work to arbitrary threads.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private static nint _currentPrimary;  // for buffer release on finalizer/other threads
    private readonly int _device;
    private nint _stream;
    private bool _disposed;

    private CudaContext(int device, nint context, nint stream, string name, int major, int minor, int sms, long totalBytes, double peakBandwidth, int driverVersion)
    {
        _device = device;
        Handle = context;
        _stream = stream;
        Name = name;
        ComputeCapability = (major, minor);
        MultiprocessorCount = sms;
        TotalMemoryBytes = totalBytes;
        PeakBandwidthBytesPerSecond = peakBandwidth;
        DriverVersion = driverVersion;
    }

    /// <summary>"NVIDIA H100 80GB HBM3".</summary>
    public string Name { get; }

    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>NVRTC's name for this device's own architecture: "sm_90" for compute capability 9.0.</summary>
    public string Architecture => $"sm_{ComputeCapability.Major}{ComputeCapability.Minor}";

    public int MultiprocessorCount { get; }

    public long TotalMemoryBytes { get; }

    /// <summary>2 x memory clock x bus width from the device attributes; 0 when the driver does not report them.</summary>
    public double PeakBandwidthBytesPerSecond { get; }

    /// <summary>e.g. 13000 for CUDA 13.0.</summary>
    public int DriverVersion { get; }

    internal nint Handle { get; }

    internal nint Stream => _stream;

    /// <summary>
    /// Loads the libraries, initialises the driver and takes device <paramref name="ordinal"/>'s primary context.
    /// Throws <see cref="CudaUnavailableException"/> when a library, the driver or the device is missing.
    /// </summary>
    public static CudaContext Create(int ordinal = 0, IEnumerable<string>? libraryDirectories = null)
    {
        CudaLibraryResolver.EnsureLoaded(libraryDirectories);
        var init = CuDriver.Init(0);
        if (init != CuDriver.Success) throw new CudaUnavailableException($"cuInit failed: {CuDriver.Describe(init)} (no usable NVIDIA driver or GPU)");
        int count, device, version;
        CuDriver.Check(CuDriver.DeviceGetCount(&count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count)
            throw new CudaUnavailableException($"CUDA device {ordinal} requested, but the driver reports {count} device(s)");
        CuDriver.Check(CuDriver.DeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        CuDriver.Check(CuDriver.DriverGetVersion(&version), "cuDriverGetVersion");
        var nameBytes = stackalloc byte[256];
        CuDriver.Check(CuDriver.DeviceGetName(nameBytes, 256, device), "cuDeviceGetName");
        var name = Marshal.PtrToStringUTF8((nint)nameBytes) ?? "unknown";
        var major = Attribute(device, CuDriver.AttributeComputeCapabilityMajor);
        var minor = Attribute(device, CuDriver.AttributeComputeCapabilityMinor);
        var sms = Attribute(device, CuDriver.AttributeMultiprocessorCount);
        var clockKhz = TryAttribute(device, CuDriver.AttributeMemoryClockRate);
        var busBits = TryAttribute(device, CuDriver.AttributeGlobalMemoryBusWidth);
        nuint total;
        CuDriver.Check(CuDriver.DeviceTotalMem(&total, device), "cuDeviceTotalMem");
        nint context, stream;
        CuDriver.Check(CuDriver.DevicePrimaryCtxRetain(&context, device), $"cuDevicePrimaryCtxRetain(device {ordinal})");
        CuDriver.Check(CuDriver.CtxSetCurrent(context), "cuCtxSetCurrent");
        CuDriver.Check(CuDriver.StreamCreate(&stream, CuDriver.StreamNonBlocking), "cuStreamCreate");
        _currentPrimary = context;
        return new CudaContext(device, context, stream, name, major, minor, sms, (long)total, 2.0 * clockKhz * 1e3 * busBits / 8, version);
    }

    /// <summary>Makes the primary context current on the calling thread (cheap; needed before any driver call).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CuDriver.Check(CuDriver.CtxSetCurrent(Handle), "cuCtxSetCurrent");
    }

    /// <summary>Waits until everything queued on the stream is done; a kernel fault surfaces here with <paramref name="what"/>.</summary>
    public void Synchronize(string what) => CuDriver.Check(CuDriver.StreamSynchronize(_stream), $"{what}: cuStreamSynchronize");

    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CuDriver.Check(CuDriver.MemGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    /// <summary>Sets the primary context current before a release on a thread that may never have used CUDA.</summary>
    internal static void EnterForRelease()
    {
        if (_currentPrimary != 0) _ = CuDriver.CtxSetCurrent(_currentPrimary);
    }

    private static int Attribute(int device, int attribute)
    {
        int value;
        CuDriver.Check(CuDriver.DeviceGetAttribute(&value, attribute, device), $"cuDeviceGetAttribute({attribute})");
        return value;
    }

    private static int TryAttribute(int device, int attribute)
    {
        int value;
        return CuDriver.DeviceGetAttribute(&value, attribute, device) == CuDriver.Success ? value : 0;
    }

    public override string ToString() =>
        new StringBuilder().Append(Name).Append(" (").Append(Architecture).Append(", ").Append(MultiprocessorCount).Append(" SMs, ")
            .Append(TotalMemoryBytes >> 30).Append(" GiB, driver CUDA ").Append(DriverVersion / 1000).Append('.').Append(DriverVersion % 1000 / 10).Append(')').ToString();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ = CuDriver.CtxSetCurrent(Handle);
        if (_stream != 0) _ = CuDriver.StreamDestroy(_stream);
        _stream = 0;
        _ = CuDriver.DevicePrimaryCtxRelease(_device);
    }
}
