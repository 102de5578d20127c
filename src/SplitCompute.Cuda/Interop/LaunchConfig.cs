using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>CUlaunchConfig (cuda.h): grid, block, shared memory and stream of a cuLaunchKernelEx, plus its attributes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LaunchConfig
{
    public uint GridX, GridY, GridZ;
    public uint BlockX, BlockY, BlockZ;
    public uint SharedMemBytes;
    public nint Stream;
    public LaunchAttribute* Attributes;
    public uint AttributeCount;
}

/// <summary>CUlaunchAttribute: an id, padding to 8 bytes, and a 64-byte value union (here only its first int is used).</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct LaunchAttribute
{
    [FieldOffset(0)] public int Id;
    [FieldOffset(8)] public int Value;
}
