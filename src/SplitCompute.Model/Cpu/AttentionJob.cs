using System.Numerics.Tensors;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Causal self-attention with a padding mask, one (batch, head) pair per row of work.
/// Legend: B batch, T tokens, C channels, H heads, D = C / H head size.
/// qkv (B, T, 3C) holds q | k | v per token; out (B, T, C) gets head h in columns [h D, (h+1) D).
/// Query i may attend key j when j &lt;= i and mask[b, j] = 1. A query with no such key (left padding) gets zeros.
/// The T x T scores stay on the stack (T &lt;= 1024), so nothing is allocated.
/// </summary>
internal sealed unsafe class AttentionJob : RowJob
{
    private float* _qkv;
    private float* _out;
    private byte* _mask;  // (B, T)
    private int _t;
    private int _c;
    private int _heads;

    public void Set(float* qkv, float* output, byte* mask, int t, int c, int heads)
    {
        _qkv = qkv;
        _out = output;
        _mask = mask;
        (_t, _c, _heads) = (t, c, heads);
    }

    public override void Execute(int start, int end)
    {
        var d = _c / _heads;
        var scale = 1f / MathF.Sqrt(d);
        Span<float> scores = stackalloc float[_t];
        for (var pair = start; pair < end; pair++)
        {
            var b = pair / _heads;
            var h = pair % _heads;
            var mask = new ReadOnlySpan<byte>(_mask + ((long)b * _t), _t);
            var qkv = _qkv + ((long)b * _t * 3 * _c);
            for (var i = 0; i < _t; i++)
            {
                var q = new ReadOnlySpan<float>(qkv + ((long)i * 3 * _c) + (h * d), d);                // (D)
                var output = new Span<float>(_out + ((((long)b * _t) + i) * _c) + (h * d), d);          // (D)
                var max = float.NegativeInfinity;
                for (var j = 0; j <= i; j++)
                {
                    if (mask[j] == 0) { scores[j] = float.NegativeInfinity; continue; }
                    var k = new ReadOnlySpan<float>(qkv + ((long)j * 3 * _c) + _c + (h * d), d);
                    scores[j] = TensorPrimitives.Dot(q, k) * scale;
                    max = MathF.Max(max, scores[j]);
                }
                output.Clear();
                if (float.IsNegativeInfinity(max)) continue;
                var row = scores[..(i + 1)];
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);                      // masked keys: exp(-inf) = 0
                var inverse = 1f / TensorPrimitives.Sum(row);
                for (var j = 0; j <= i; j++)
                {
                    if (row[j] == 0f) continue;
                    var v = new ReadOnlySpan<float>(qkv + ((long)j * 3 * _c) + (2 * _c) + (h * d), d);
                    TensorPrimitives.FusedMultiplyAdd(v, row[j] * inverse, output, output);  // out += p_ij v_j
                }
            }
        }
    }
}
