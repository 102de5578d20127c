using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Interop;

/// <summary>
/// The device-lost callback (mode AllowProcessEvents: Dawn calls it only from wgpuInstanceProcessEvents, or when the instance
/// shuts down, never on a thread of its own). userdata1 is a number looked up in a registry rather than a GCHandle: Dawn may
/// call back when the instance's last reference goes, possibly after the <see cref="WebGpuDevice"/> was disposed, and a
/// number that is no longer registered is simply ignored, where a freed GCHandle would crash.
/// </summary>
internal static unsafe class DeviceLostCallback
{
    private static readonly ConcurrentDictionary<nint, DeviceLoss> Registered = new();
    private static long _next;

    /// <summary>Registers <paramref name="loss"/> and returns the callback info that reports into it.</summary>
    public static WGPUCallbackInfo Register(DeviceLoss loss)
    {
        var token = (nint)Interlocked.Increment(ref _next);
        Registered[token] = loss;
        loss.Token = token;
        return new WGPUCallbackInfo
        {
            Mode = WGPUCallbackMode.AllowProcessEvents,
            Callback = (nint)(delegate* unmanaged[Cdecl]<nint, uint, WGPUStringView, nint, nint, void>)&OnLost,
            Userdata1 = token,
        };
    }

    public static void Unregister(DeviceLoss loss) => Registered.TryRemove(loss.Token, out _);

    /// <summary>(WGPUDevice const* device, reason, message, userdata1, userdata2).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLost(nint device, uint reason, WGPUStringView message, nint userdata1, nint userdata2)
    {
        if (Registered.TryGetValue(userdata1, out var loss)) loss.Record(reason, message.ToString());
    }
}
