using System.Numerics.Tensors;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// GPT-2's tanh GELU in place ("gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
/// Works in L1-sized chunks on the stack so the several vector passes stay in cache.
/// </summary>
internal sealed unsafe class GeluJob : RowJob
{
    private const int Chunk = 1024;
    private const float Sqrt2OverPi = 0.7978845608028654f;
    private float* _data;  // (rows, width)
    private int _width;

    public void Set(float* data, int width)
    {
        _data = data;
        _width = width;
    }

    public override void Execute(int start, int end)
    {
        Span<float> t = stackalloc float[Chunk];
        var total = (long)(end - start) * _width;
        var first = _data + ((long)start * _width);
        for (long offset = 0; offset < total; offset += Chunk)
        {
            var n = (int)Math.Min(Chunk, total - offset);
            Apply(new Span<float>(first + offset, n), t[..n]);
        }
    }

    public static void Apply(Span<float> x, Span<float> t)
    {
        TensorPrimitives.Multiply(x, x, t);                       // x^2
        TensorPrimitives.Multiply(t, 0.044715f, t);
        TensorPrimitives.Add(t, 1f, t);                           // 1 + 0.044715 x^2
        TensorPrimitives.Multiply(t, x, t);                       // x + 0.044715 x^3
        TensorPrimitives.Multiply(t, Sqrt2OverPi, t);
        TensorPrimitives.Tanh(t, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, 0.5f, t);                    // 0.5 (1 + tanh)
        TensorPrimitives.Multiply(x, t, x);
    }
}
