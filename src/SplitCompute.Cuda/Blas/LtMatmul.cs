using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Blas;

/// <summary>
/// One planned product in row-major terms: Y (R, N) = epilogue(X (R, K) W (K, N) + bias (N)) + beta Y, W in Conv1D layout (K, N).
/// cuBLASLt is column-major, so it computes the transpose: D (N x R, ld N) = A (N x K, ld N: W as stored) B (K x R, ld K: X as
/// stored); no copies. With transposed weights A is W^T stored (N, K), read with op T. The algorithm is chosen once by the heuristic; the bias pointer is set per call (one
/// plan serves every layer). Residual products pass C = D = Y with beta = 1.
/// </summary>
internal sealed unsafe class LtMatmul : IDisposable
{
    private readonly LtHandle _lt;
    private nint _desc, _a, _b, _c;
    private MatmulAlgo _algo;
    private int _chosen;
    private nuint _workspaceBytes;
    private readonly MatmulHeuristicResult[] _candidates;

    /// <param name="transposedWeights">W is stored (N, K) row-major (K-major, as nn.Linear) instead of Conv1D's (K, N): cuBLASLt
    /// then reads it as A^T ("TN", both operands K-major), the layout Hopper's tensor-core kernels are built around.</param>
    public LtMatmul(LtHandle lt, string label, int rows, int n, int k, int inputType, int outputType, LtEpilogue epilogue, bool transposedWeights)
    {
        _lt = lt;
        Label = $"{label} ({rows}x{k} . {k}x{n}, {epilogue})";
        Epilogue = epilogue;
        try
        {
            nint desc, a, b, c;
            CublasLt.Check(CublasLt.MatmulDescCreate(&desc, CublasLt.Compute32F, CublasLt.DataFloat32), $"cublasLtMatmulDescCreate({Label})");
            _desc = desc;
            var mode = epilogue switch
            {
                LtEpilogue.Bias => CublasLt.EpilogueBias,
                LtEpilogue.GeluBias => CublasLt.EpilogueGeluBias,
                _ => CublasLt.EpilogueDefault,
            };
            CublasLt.Check(CublasLt.MatmulDescSetAttribute(_desc, CublasLt.DescEpilogue, &mode, sizeof(int)), $"set epilogue ({Label})");
            if (transposedWeights)
            {
                var transpose = CublasLt.OpTranspose;
                CublasLt.Check(CublasLt.MatmulDescSetAttribute(_desc, CublasLt.DescTransA, &transpose, sizeof(int)), $"set transA ({Label})");
                CublasLt.Check(CublasLt.MatrixLayoutCreate(&a, inputType, (ulong)k, (ulong)n, k), $"layout A^T ({Label})");
            }
            else
            {
                CublasLt.Check(CublasLt.MatrixLayoutCreate(&a, inputType, (ulong)n, (ulong)k, n), $"layout A ({Label})");
            }
            _a = a;
            CublasLt.Check(CublasLt.MatrixLayoutCreate(&b, inputType, (ulong)k, (ulong)rows, k), $"layout B ({Label})");
            _b = b;
            CublasLt.Check(CublasLt.MatrixLayoutCreate(&c, outputType, (ulong)n, (ulong)rows, n), $"layout C/D ({Label})");
            _c = c;
            _candidates = Candidates();
            (_algo, _workspaceBytes) = (_candidates[0].Algo, _candidates[0].WorkspaceSize);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Label { get; }

    public LtEpilogue Epilogue { get; }

    /// <summary>The context whose stream the products run on.</summary>
    public Device.CudaContext Context => _lt.Context;

    /// <summary>Enqueues Y = epilogue(X W + bias) + beta Y on the handle's stream.</summary>
    public void Run(ulong x, ulong w, ulong bias, ulong y, float beta)
    {
        if (Epilogue != LtEpilogue.None)
        {
            CublasLt.Check(CublasLt.MatmulDescSetAttribute(_desc, CublasLt.DescBiasPointer, &bias, sizeof(ulong)), $"set bias ({Label})");
        }
        var alpha = 1f;
        var algo = _algo;
        CublasLt.Check(CublasLt.Matmul(_lt.Handle, _desc, &alpha, w, _a, x, _b, &beta, y, _c, y, _c, &algo,
            _lt.Workspace.Pointer, _workspaceBytes, _lt.Context.Stream), $"cublasLtMatmul {Label}");
    }

    /// <summary>
    /// The algorithm in use: its index among the heuristic's candidates, the heuristic's estimate of its GPU waves (below 1:
    /// not every SM gets work) and its workspace.
    /// </summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Label}: candidate {_chosen} of {_candidates.Length}, waves {_candidates[_chosen].WavesCount:F2}, workspace {_workspaceBytes} B");

    /// <summary>How many algorithms the heuristic offered (the first is used unless <see cref="Tune"/> finds a faster one).</summary>
    public int CandidateCount => _candidates.Length;

    /// <summary>
    /// Times every candidate algorithm as the forward pass runs it and keeps the fastest: a CUDA graph of
    /// <paramref name="launches"/> products cycling over <paramref name="operands"/> (different blocks' weights, so that they
    /// come from HBM rather than from L2), median of 5 replays per launch. The heuristic's first choice is often not the
    /// fastest for skinny products (R = 128 rows), and timing eager launches one at a time measured the host's launch cost
    /// more than the kernel. Runs the products, so the Y buffers are overwritten. Returns the chosen candidate's index and time.
    /// </summary>
    public (int Index, double Ms) Tune(IReadOnlyList<LtOperands> operands, float beta, int launches = 8)
    {
        ArgumentOutOfRangeException.ThrowIfZero(operands.Count);
        var candidates = _candidates;
        var (best, bestMs) = (0, double.MaxValue);
        for (var i = 0; i < candidates.Length; i++)
        {
            (_algo, _workspaceBytes) = (candidates[i].Algo, candidates[i].WorkspaceSize);
            double ms;
            try
            {
                var first = operands[0];
                Run(first.X, first.W, first.Bias, first.Y, beta);  // loads the kernel (not allowed during capture); fails here if it cannot run
                ms = Device.GraphTiming.MsPerLaunch(_lt.Context, $"tuning {Label} candidate {i}", launches, l =>
                {
                    var o = operands[l % operands.Count];
                    Run(o.X, o.W, o.Bias, o.Y, beta);
                });
            }
            catch (CudaException)
            {
                continue;  // a candidate the library offered but cannot run here: skip it
            }
            if (ms < bestMs) (best, bestMs) = (i, ms);
        }
        (_algo, _workspaceBytes, _chosen) = (candidates[best].Algo, candidates[best].WorkspaceSize, best);
        return (best, bestMs);
    }

    private MatmulHeuristicResult[] Candidates()
    {
        nint preference;
        CublasLt.Check(CublasLt.PreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
        try
        {
            var limit = (ulong)LtHandle.WorkspaceBytes;
            CublasLt.Check(CublasLt.PreferenceSetAttribute(preference, CublasLt.PreferenceMaxWorkspaceBytes, &limit, sizeof(ulong)), "set max workspace");
            const int Requested = 16;
            var results = stackalloc MatmulHeuristicResult[Requested];
            int returned;
            CublasLt.Check(CublasLt.AlgoGetHeuristic(_lt.Handle, _desc, _a, _b, _c, _c, preference, Requested, results, &returned),
                $"cublasLtMatmulAlgoGetHeuristic {Label}");
            if (returned == 0) throw new CudaException($"cuBLASLt has no algorithm for {Label}");
            return new ReadOnlySpan<MatmulHeuristicResult>(results, returned).ToArray();
        }
        finally
        {
            _ = CublasLt.PreferenceDestroy(preference);
        }
    }

    public void Dispose()
    {
        if (_c != 0) _ = CublasLt.MatrixLayoutDestroy(_c);
        if (_b != 0) _ = CublasLt.MatrixLayoutDestroy(_b);
        if (_a != 0) _ = CublasLt.MatrixLayoutDestroy(_a);
        if (_desc != 0) _ = CublasLt.MatmulDescDestroy(_desc);
        _a = _b = _c = _desc = 0;
    }
}
