using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>
/// Runs one asynchronous webgpu.h call to completion: starts it with a callback bound to a fresh <see cref="CallbackResult"/>,
/// then blocks in wgpuInstanceWaitAny (the instance has the TimedWaitAny feature) in one-second slices up to a deadline.
/// </summary>
internal static unsafe class FutureWaiter
{
    private const ulong SliceNs = 1_000_000_000;

    public static CallbackResult Run(InstanceHandle instance, string what, TimeSpan timeout, Func<GCHandle, ulong> start)
    {
        var result = new CallbackResult();
        var handle = GCHandle.Alloc(result);
        var pending = true;  // a call that never completed keeps its handle: Dawn may still call back (cancelled) later
        try
        {
            var future = start(handle);
            if (future == 0) throw new WebGpuException($"{what}: Dawn returned no future");
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var info = new WGPUFutureWaitInfo { Future = future };
                var status = Wgpu.InstanceWaitAny(instance.Raw, 1, &info, SliceNs);
                if (status == WGPUWaitStatus.Success && result.Completed)
                {
                    pending = false;
                    return result;
                }
                if (status == WGPUWaitStatus.Error) throw new WebGpuException($"{what}: wgpuInstanceWaitAny failed (WaitStatus {status})");
                if (DateTime.UtcNow > deadline) throw new WebGpuException($"{what}: not finished after {timeout.TotalSeconds:F0} s");
            }
        }
        finally
        {
            if (!pending) handle.Free();
        }
    }
}
