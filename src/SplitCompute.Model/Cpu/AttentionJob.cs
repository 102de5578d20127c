using System.Numerics.Tensors;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Causal self-attention with a padding mask, one (batch, head) pair per row of work.
/// Legend: B batch, T tokens, C channels, H heads, D = C / H head size.
/// qkv (B, T, 3C) holds q | k | v per token; out (B, T, C) gets head h in columns [h D, (h+1) D).
/// Query i may attend key j when j &lt;= i and mask[b, j] = 1. A query with no such key (left padding) gets zeros.
/// Where D is a multiple of 8 (every GPT-2 size: D = 64) the head runs as register-blocked 8 x 8 tiles (<see cref="Tile8x8"/>):
/// S = Q K^T for 8 queries at a time against K transposed once per head, softmax on the tile's rows, then O = P V.
/// Otherwise one query and one key at a time. Scratch is per thread and reused, so nothing is allocated once warm.
/// </summary>
internal sealed unsafe class AttentionJob : RowJob
{
    private const int Tile = Tile8x8.Size;

    [ThreadStatic] private static float[]? t_scratch;

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
        if (!Tile8x8.IsSupported || d % Tile != 0)
        {
            ExecuteByQuery(start, end, d);
            return;
        }
        var tPadded = (_t + Tile - 1) / Tile * Tile;
        var needed = (d * tPadded) + (Tile * d) + (Tile * tPadded) + tPadded;
        if (t_scratch is null || t_scratch.Length < needed) t_scratch = new float[needed];
        fixed (float* scratch = t_scratch)
        {
            for (var pair = start; pair < end; pair++) HeadByTiles(pair / _heads, pair % _heads, d, tPadded, scratch);
        }
    }

    /// <summary>One (b, h) pair: scratch holds K^T (D, Tp), a query tile (8, D), a score tile (8, Tp) and the key mask (Tp).</summary>
    private void HeadByTiles(int b, int h, int d, int tPadded, float* scratch)
    {
        var (t, c) = (_t, _c);
        var kt = scratch;                                   // (D, Tp): keys as columns, zero past T
        var queries = kt + ((long)d * tPadded);             // (8, D)
        var scores = queries + (Tile * d);                  // (8, Tp): scores, then probabilities
        var keyBias = scores + (Tile * tPadded);            // (Tp): 0 for a key that may be attended, -inf for padding
        var qkv = _qkv + ((long)b * t * 3 * c);
        var mask = _mask + ((long)b * t);
        var scale = 1f / MathF.Sqrt(d);

        for (var j = 0; j < tPadded; j++)
        {
            keyBias[j] = j < t && mask[j] != 0 ? 0f : float.NegativeInfinity;
            var key = qkv + ((long)j * 3 * c) + c + (h * d);
            for (var e = 0; e < d; e++) kt[((long)e * tPadded) + j] = j < t ? key[e] : 0f;
        }

        for (var first = 0; first < t; first += Tile)
        {
            var rows = Math.Min(Tile, t - first);
            var keys = Math.Min(t, first + Tile);           // causal: no query of this tile sees a later key
            var keysPadded = (keys + Tile - 1) / Tile * Tile;
            for (var r = 0; r < Tile; r++)
            {
                var row = new Span<float>(queries + (r * d), d);
                if (r < rows) new ReadOnlySpan<float>(qkv + ((long)(first + r) * 3 * c) + (h * d), d).CopyTo(row);
                else row.Clear();
            }
            for (var j = 0; j < keysPadded; j += Tile)
                Tile8x8.Multiply(queries, d, kt + j, tPadded, d, scores + j, keysPadded, Tile);  // (8, D) x (D, 8) -> S (8, 8)
            for (var r = 0; r < rows; r++) Softmax(new Span<float>(scores + (r * keysPadded), keysPadded), first + r, scale, keyBias);
            var output = _out + ((((long)b * t) + first) * c) + (h * d);
            for (var e = 0; e < d; e += Tile)                                                          // (8, keys) x (keys, 8) -> O
                Tile8x8.Multiply(scores, keysPadded, qkv + (2 * c) + (h * d) + e, 3 * c, keys, output + e, c, rows);
        }
    }

    /// <summary>row[j] = softmax over keys j &lt;= i that may be attended of row[j] * scale; 0 elsewhere; all 0 when none may.</summary>
    private static void Softmax(Span<float> row, int i, float scale, float* keyBias)
    {
        var visible = row[..(i + 1)];
        TensorPrimitives.MultiplyAdd(visible, scale, new ReadOnlySpan<float>(keyBias, i + 1), visible);
        row[(i + 1)..].Clear();
        var max = TensorPrimitives.Max(visible);
        if (float.IsNegativeInfinity(max))
        {
            visible.Clear();
            return;
        }
        TensorPrimitives.Subtract(visible, max, visible);
        TensorPrimitives.Exp(visible, visible);             // padding: exp(-inf) = 0
        TensorPrimitives.Multiply(visible, 1f / TensorPrimitives.Sum(visible), visible);
    }

    /// <summary>Any head size: scores one key at a time, the scores of one query on the stack (T &lt;= 1024).</summary>
    private void ExecuteByQuery(int start, int end, int d)
    {
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
