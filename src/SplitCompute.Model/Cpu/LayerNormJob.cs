using System.Numerics.Tensors;

namespace SplitCompute.Model.Cpu;

/// <summary>LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta, rows of C. In may equal out.</summary>
internal sealed unsafe class LayerNormJob : RowJob
{
    private float* _input;   // (rows, C)
    private float* _output;  // (rows, C)
    private float* _gamma;   // (C)
    private float* _beta;    // (C)
    private int _c;
    private float _eps;

    public void Set(float* input, float* output, float* gamma, float* beta, int c, float eps)
    {
        _input = input;
        _output = output;
        _gamma = gamma;
        _beta = beta;
        (_c, _eps) = (c, eps);
    }

    public override void Execute(int start, int end)
    {
        var gamma = new ReadOnlySpan<float>(_gamma, _c);
        var beta = new ReadOnlySpan<float>(_beta, _c);
        for (var row = start; row < end; row++)
        {
            var x = new ReadOnlySpan<float>(_input + ((long)row * _c), _c);
            var y = new Span<float>(_output + ((long)row * _c), _c);
            Normalize(x, y, gamma, beta, _eps);
        }
    }

    public static void Normalize(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        var mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);                       // y = x - mean
        var variance = TensorPrimitives.SumOfSquares(y) / x.Length;  // biased variance, as torch.nn.LayerNorm
        TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + eps), y);
        TensorPrimitives.FusedMultiplyAdd(y, gamma, beta, y);
    }
}
