using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>cublasLtMatmulAlgo_t: an opaque uint64_t[8] (64 bytes) the heuristic fills and the product reads.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct MatmulAlgo
{
    public Data Words;

    [InlineArray(8)]
    public struct Data
    {
        private ulong _element;
    }
}

/// <summary>cublasLtMatmulHeuristicResult_t: algo (64), workspaceSize (8), state (4), wavesCount (4), reserved int[4] = 96 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MatmulHeuristicResult
{
    public MatmulAlgo Algo;
    public nuint WorkspaceSize;
    public int State;
    public float WavesCount;
    public Reserved4 Reserved;

    [InlineArray(4)]
    public struct Reserved4
    {
        private int _element;
    }
}
