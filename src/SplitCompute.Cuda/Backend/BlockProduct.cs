using System.Globalization;
using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Interop;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// One product of a block at one bucket's R rows: cuBLASLt's plan and, on Hopper at fp16, our split-K cluster product
/// (<see cref="HopperProducts"/>) with each of its K splits as further candidates. <see cref="Tune"/> times them all the
/// same way, in a graph over several blocks' weights, and keeps the fastest; without tuning cuBLASLt's first choice runs.
/// As an <see cref="ITunableChoice"/> it then offers the block tuning the candidates that came near the fastest alone.
/// </summary>
internal sealed class BlockProduct : ITunableChoice, IDisposable
{
    /// <summary>Candidates within this factor of the fastest alone are tried in the block; slower ones never won there.</summary>
    private const double BlockCandidateFactor = 1.25;

    private readonly LtMatmul _lt;
    private readonly HopperProducts? _hopper;
    private readonly SkinnyEpilogue _epilogue;
    private readonly int _rows, _n, _k;
    private readonly int _forcedSplit;
    private int _split;  // 0: cuBLASLt
    private double _ltMs = double.NaN, _ownMs = double.NaN;
    private int[] _blockCandidates = [];  // after tuning: the splits the block tuning may pick (0 = cuBLASLt)

    /// <param name="hopper">Our kernels when this device and precision have them, else null (cuBLASLt only).</param>
    /// <param name="forcedSplit">Non-zero: always our kernel with this many K slices where it fits (parity checks).</param>
    public BlockProduct(LtMatmul lt, HopperProducts? hopper, SkinnyEpilogue epilogue, int rows, int n, int k, int forcedSplit = 0)
    {
        _lt = lt;
        _hopper = hopper is not null && HopperProducts.Fits(n, k) ? hopper : null;
        _epilogue = epilogue;
        (_rows, _n, _k) = (rows, n, k);
        _forcedSplit = _hopper is null ? 0 : forcedSplit;
        _split = _forcedSplit;
    }

    public string Label => _lt.Label;

    /// <summary>Enqueues Y = epilogue(X W + bias) + beta Y (beta = 1 for the residual products, 0 otherwise).</summary>
    public void Run(ulong x, ulong w, ulong bias, ulong y, float beta)
    {
        if (_split == 0)
        {
            _lt.Run(x, w, bias, y, beta);
            return;
        }
        // Our epilogues fix beta: the residual one adds into Y, the others overwrite it.
        if ((_epilogue == SkinnyEpilogue.Residual) != (beta == 1f))
            throw new ArgumentException($"{Label}: our {_epilogue} product cannot run with beta = {beta}", nameof(beta));
        _hopper!.Launch(_epilogue, _split, y, x, w, bias, _rows, _n, _k);
    }

    /// <summary>
    /// Times cuBLASLt's candidates (<see cref="LtMatmul.Tune"/>) and then each K split of our kernel over the same operands
    /// (different blocks' weights, so from HBM) and keeps the fastest. Overwrites the Y buffers.
    /// </summary>
    public void Tune(IReadOnlyList<LtOperands> operands, float beta, int launches = 8)
    {
        (_, _ltMs) = _lt.Tune(operands, beta, launches);
        _split = _forcedSplit;
        _blockCandidates = [];
        if (_hopper is null || _forcedSplit != 0) return;
        var timedAlone = new List<(int Split, double Ms)> { (0, _ltMs) };  // every candidate that ran
        var bestMs = _ltMs;
        foreach (var split in HopperProducts.Splits)
        {
            double ms;
            try
            {
                var first = operands[0];
                _hopper.Launch(_epilogue, split, first.Y, first.X, first.W, first.Bias, _rows, _n, _k);  // fails here, not in capture, if it cannot run
                ms = Device.GraphTiming.MsPerLaunch(_lt.Context, $"tuning {Label} split {split}", launches, l =>
                {
                    var o = operands[l % operands.Count];
                    _hopper.Launch(_epilogue, split, o.Y, o.X, o.W, o.Bias, _rows, _n, _k);
                });
            }
            catch (CudaException)
            {
                continue;  // e.g. a cluster this device cannot co-schedule: the other candidates remain
            }
            if (ms < bestMs) (bestMs, _split) = (ms, split);
            if (double.IsNaN(_ownMs) || ms < _ownMs) _ownMs = ms;
            timedAlone.Add((split, ms));
        }
        // The block tuning's options: the fastest alone first (the current choice), then the others near it.
        _blockCandidates = [.. timedAlone.Where(c => c.Ms <= bestMs * BlockCandidateFactor).OrderBy(c => c.Ms).Select(c => c.Split)];
    }

    // ITunableChoice: after Tune, the block tuning picks among cuBLASLt and our splits that were near the fastest alone.
    int ITunableChoice.Count => _blockCandidates.Length;

    int ITunableChoice.Current
    {
        get => Math.Max(0, Array.IndexOf(_blockCandidates, _split));
        set
        {
            if (value < 0 || value >= _blockCandidates.Length)
                throw new ArgumentOutOfRangeException(nameof(value), $"{Label}: option {value} of {_blockCandidates.Length}");
            _split = _blockCandidates[value];
        }
    }

    string ITunableChoice.OptionName(int option) => _blockCandidates[option] == 0 ? "cuBLASLt" : $"ours with {_blockCandidates[option]} K slices";

    /// <summary>Which kernel runs and, after tuning, how the two kinds compared.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var timed = double.IsNaN(_ltMs) ? "" : string.Create(inv, $"; tuned: cuBLASLt {_ltMs * 1000:F1} us");
        if (!double.IsNaN(_ownMs)) timed += string.Create(inv, $", ours {_ownMs * 1000:F1} us");
        return _split == 0
            ? _lt.Describe() + timed
            : string.Create(inv, $"{Label}: our Hopper split-K product, {_split} K slices ({HopperProducts.Ctas(_rows, _n, _split)} CTAs)") + timed;
    }

    public void Dispose() => _lt.Dispose();
}
