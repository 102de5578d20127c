namespace SplitCompute.Cuda.Interop;

/// <summary>
/// cuLaunchKernelEx with programmatic stream serialization: the kernel may start before the previous kernel in the stream
/// has finished (once every CTA of that one has called griddepcontrol.launch_dependents or exited), so it must itself wait
/// (griddepcontrol.wait) before touching anything the previous kernel writes. Used for our products, LayerNorm and attention.
/// </summary>
internal static unsafe class DependentLaunch
{
    /// <param name="what">Names the launch in the error, e.g. the kernel and its grid.</param>
    public static void Launch(nint function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block, uint sharedBytes, nint stream,
                              void** args, string what)
    {
        var attribute = new LaunchAttribute { Id = CuDriver.LaunchAttributeProgrammaticStreamSerialization, Value = 1 };
        var config = new LaunchConfig
        {
            GridX = grid.X, GridY = grid.Y, GridZ = grid.Z,
            BlockX = block.X, BlockY = block.Y, BlockZ = block.Z,
            SharedMemBytes = sharedBytes,
            Stream = stream,
            Attributes = &attribute,
            AttributeCount = 1,
        };
        CuDriver.Check(CuDriver.LaunchKernelEx(&config, function, args, null), what);
    }
}
