using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>Runs one asynchronous webgpu.h call to completion (<see cref="PendingFuture"/>, started and waited for at once).</summary>
internal static class FutureWaiter
{
    public static CallbackResult Run(InstanceHandle instance, string what, TimeSpan timeout, Func<GCHandle, ulong> start) =>
        PendingFuture.Start(instance, what, start).Wait(timeout);
}
