using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>
/// The memory bandwidth a plain device-to-device copy reaches (each byte read once and written once): the practical ceiling a
/// memory-bound kernel is measured against, next to the datasheet figure from the device attributes.
/// </summary>
public static unsafe class CopyBandwidth
{
    /// <summary>Bytes moved per second (read + write) copying <paramref name="bytes"/>, median of <paramref name="repetitions"/>.</summary>
    public static double Measure(CudaContext context, long bytes = 1L << 30, int repetitions = 10)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        using var source = DeviceBuffer.Allocate(bytes, "bandwidth source");
        using var destination = DeviceBuffer.Allocate(bytes, "bandwidth destination");
        using var events = new CudaEventPair(context);
        var times = new double[repetitions];
        for (var i = -2; i < repetitions; i++)
        {
            events.RecordStart();
            CuDriver.Check(CuDriver.MemcpyDtoDAsync(destination.Pointer, source.Pointer, (nuint)bytes, context.Stream), "bandwidth copy");
            events.RecordEnd();
            var ms = events.ElapsedMs();
            if (i >= 0) times[i] = ms;
        }
        Array.Sort(times);
        return 2.0 * bytes / (times[repetitions / 2] / 1e3);
    }
}
