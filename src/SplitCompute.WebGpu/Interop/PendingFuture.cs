using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>
/// One asynchronous webgpu.h call started now and waited for later, so that more work can be queued meanwhile (a staging
/// buffer is re-mapped while the next one is filled). The wait blocks in wgpuInstanceWaitAny (the instance has the
/// TimedWaitAny feature) in one-second slices up to a deadline. A call that never completes keeps its GCHandle, because
/// Dawn may still call back (cancelled) later.
/// </summary>
internal sealed class PendingFuture
{
    private const ulong SliceNs = 1_000_000_000;

    private readonly InstanceHandle _instance;
    private readonly string _what;
    private readonly CallbackResult _result;
    private readonly GCHandle _handle;
    private readonly ulong _future;
    private bool _freed;

    private PendingFuture(InstanceHandle instance, string what, CallbackResult result, GCHandle handle, ulong future)
    {
        _instance = instance;
        _what = what;
        _result = result;
        _handle = handle;
        _future = future;
    }

    /// <summary>Starts the call with a callback bound to a fresh <see cref="CallbackResult"/>.</summary>
    public static PendingFuture Start(InstanceHandle instance, string what, Func<GCHandle, ulong> start)
    {
        var result = new CallbackResult();
        var handle = GCHandle.Alloc(result);
        var future = start(handle);
        if (future == 0) throw new WebGpuException($"{what}: Dawn returned no future");
        return new PendingFuture(instance, what, result, handle, future);
    }

    /// <summary>Blocks until the callback ran (or <paramref name="timeout"/> passed) and returns what it reported.</summary>
    public unsafe CallbackResult Wait(TimeSpan timeout)
    {
        if (_freed) return _result;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var info = new WGPUFutureWaitInfo { Future = _future };
            var status = Wgpu.InstanceWaitAny(_instance.Raw, 1, &info, SliceNs);
            if (status == WGPUWaitStatus.Success && _result.Completed)
            {
                _handle.Free();
                _freed = true;
                return _result;
            }
            if (status == WGPUWaitStatus.Error) throw new WebGpuException($"{_what}: wgpuInstanceWaitAny failed (WaitStatus {status})");
            if (DateTime.UtcNow > deadline) throw new WebGpuException($"{_what}: not finished after {timeout.TotalSeconds:F0} s");
        }
    }
}
