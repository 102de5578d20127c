using SplitCompute.Cuda.Device;

namespace SplitCompute.Cuda.Backend;

/// <summary>A backend that owns its GPU: the context opened from the options, and closed again if the backend cannot be made.</summary>
internal static class OwnedContext
{
    public static T Open<T>(CudaBackendOptions options, Func<CudaContext, T> make)
    {
        var context = CudaContext.Create(options.DeviceOrdinal, options.LibraryDirectories);
        try
        {
            return make(context);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }
}
