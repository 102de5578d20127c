using System.Numerics.Tensors;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Adds a bias vector to every row: out[r] = in[r] + bias. Used to seed a GEMM's C matrix so the product accumulates onto
/// bias (+ residual) with beta = 1, instead of a separate pass after it.
/// </summary>
internal sealed unsafe class BiasRowsJob : RowJob
{
    private float* _input;  // (rows, N), may be null: out = bias
    private float* _output; // (rows, N)
    private float* _bias;   // (N)
    private int _n;

    public void Set(float* input, float* output, float* bias, int n)
    {
        _input = input;
        _output = output;
        _bias = bias;
        _n = n;
    }

    public override void Execute(int start, int end)
    {
        var bias = new ReadOnlySpan<float>(_bias, _n);
        for (var row = start; row < end; row++)
        {
            var output = new Span<float>(_output + ((long)row * _n), _n);
            if (_input is null) bias.CopyTo(output);
            else TensorPrimitives.Add(new ReadOnlySpan<float>(_input + ((long)row * _n), _n), bias, output);
        }
    }
}
