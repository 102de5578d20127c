using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>What a completed asynchronous call reported: status, the object it produced (if any), the error type and Dawn's message.</summary>
internal sealed class CallbackResult
{
    public bool Completed;
    public uint Status;
    public nint Object;
    public uint ErrorType;
    public string Message = string.Empty;
}

/// <summary>
/// Static native callbacks for webgpu.h's asynchronous calls. userdata1 is a GCHandle to a <see cref="CallbackResult"/>;
/// Dawn calls them from inside wgpuInstanceWaitAny (mode WaitAnyOnly), so never on a foreign thread or at process exit.
/// </summary>
internal static unsafe class Callbacks
{
    /// <summary>A callback info for an adapter or device request: (status, object, message, userdata1, userdata2).</summary>
    public static WGPUCallbackInfo ForRequest(GCHandle result) => Info((nint)(delegate* unmanaged[Cdecl]<uint, nint, WGPUStringView, nint, nint, void>)&OnRequest, result);

    /// <summary>(status, error type, message, userdata1, userdata2).</summary>
    public static WGPUCallbackInfo ForPopErrorScope(GCHandle result) => Info((nint)(delegate* unmanaged[Cdecl]<uint, uint, WGPUStringView, nint, nint, void>)&OnPopErrorScope, result);

    /// <summary>(status, message, userdata1, userdata2): buffer map and queue work done.</summary>
    public static WGPUCallbackInfo ForStatus(GCHandle result) => Info((nint)(delegate* unmanaged[Cdecl]<uint, WGPUStringView, nint, nint, void>)&OnStatus, result);

    private static WGPUCallbackInfo Info(nint callback, GCHandle result) => new()
    {
        Mode = WGPUCallbackMode.WaitAnyOnly,
        Callback = callback,
        Userdata1 = GCHandle.ToIntPtr(result),
    };

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnRequest(uint status, nint obj, WGPUStringView message, nint userdata1, nint userdata2)
    {
        var result = Result(userdata1);
        result.Status = status;
        result.Object = obj;
        result.Message = message.ToString();
        result.Completed = true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnPopErrorScope(uint status, uint errorType, WGPUStringView message, nint userdata1, nint userdata2)
    {
        var result = Result(userdata1);
        result.Status = status;
        result.ErrorType = errorType;
        result.Message = message.ToString();
        result.Completed = true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnStatus(uint status, WGPUStringView message, nint userdata1, nint userdata2)
    {
        var result = Result(userdata1);
        result.Status = status;
        result.Message = message.ToString();
        result.Completed = true;
    }

    private static CallbackResult Result(nint userdata) => (CallbackResult)GCHandle.FromIntPtr(userdata).Target!;
}
