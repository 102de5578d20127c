using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Multi-exit passes: one batch, several depths. Rows leave at their exit, and when the rows still running are a prefix of
/// the batch (the worker's batcher orders requests deepest k first) and fit a smaller <see cref="ShapeBucket"/>, the later
/// stages run in that bucket's workspace: a device-to-device copy of the active prefix of x and of its mask, the rest of that
/// mask cleared. T stays the batch's T, so the tokens bucket is unchanged and the (B_bucket, T_bucket, C) layout copies as
/// one contiguous block. Legend: B sequences, T tokens, C channels.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    /// <summary>
    /// Ids up once, blocks up to each exit as graphs on the rows still active, and after each exit's block only its own rows
    /// back to the host (the copies are queued on the stream between the blocks, so nothing waits until the end).
    /// </summary>
    public float[][] RunToExits(TokenBatch batch, IReadOnlyList<LayerExit> exits)
    {
        LayerRange.ValidateBatch(Config, batch);
        ArgumentNullException.ThrowIfNull(exits);
        ValidateExits(batch, exits);
        _ = _weights.TokenEmbedding ?? throw new InvalidOperationException("this CUDA backend was loaded without embeddings");
        var c = Config.NEmbd;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            var tb = ws.Shape.Tokens;
            UploadIdsAndMask(batch, ws);
            EnqueueEmbed(ws);
            var order = Enumerable.Range(0, exits.Count).OrderBy(i => exits[i].K).ToArray();
            var landed = new CudaWorkspace[exits.Count];  // whose pinned buffer receives exit i's rows
            var done = 0;
            var normed = false;
            for (var j = 0; j < order.Length; j++)
            {
                var exit = exits[order[j]];
                if (exit.K > done)
                {
                    ws = Narrowed(ws, batch, [.. order.Skip(j).Select(i => exits[i])]);
                    // Several exits: their stages are ranges that rarely repeat, so replay per-block graphs (48 launches for
                    // gpt2-xl cost ~0.15 ms) instead of capturing a graph for every new (k_i, k_j). One exit: the range policy.
                    if (!_options.UseGraphs) EnqueueLayers(ws, done, exit.K);
                    else if (exits.Count == 1) LaunchGraphs(ws, done, exit.K);
                    else for (var layer = done; layer < exit.K; layer++) Graph(ws, new GraphKey(ws.Shape, layer, layer + 1)).Launch();
                    done = exit.K;
                }
                if (exit.K == Config.NLayer && !normed)
                {
                    _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, _weights.FinalNormGamma!.Pointer, _weights.FinalNormBeta!.Pointer, ws.Shape.Rows, c, Config.LayerNormEpsilon);
                    normed = true;
                }
                var offset = (long)exit.FirstSequence * tb * c * 4;  // (B, T_bucket, C) fp32: the exit's sequences are contiguous
                var bytes = (long)exit.SequenceCount * tb * c * 4;
                CuDriver.Check(CuDriver.MemcpyDtoHAsync((byte*)ws.HostX.Pointer + offset, ws.X.Pointer + (ulong)offset, (nuint)bytes, _context.Stream),
                    $"download of exit k = {exit.K} from workspace {ws.Shape}");
                landed[order[j]] = ws;
            }
            _context.Synchronize($"batch of {exits.Count} exits");
            var t = batch.SequenceLength;
            var results = new float[exits.Count][];
            for (var i = 0; i < exits.Count; i++)
            {
                var host = landed[i].HostX.AsSpan<float>();
                var (first, count) = (exits[i].FirstSequence, exits[i].SequenceCount);
                var data = new float[(long)count * t * c];
                for (var s = 0; s < count; s++) host.Slice((first + s) * tb * c, t * c).CopyTo(data.AsSpan(s * t * c));  // (T_bucket) -> (T)
                results[i] = data;
            }
            return results;
        }
    }

    /// <summary>
    /// The workspace the next stage runs in: the smaller bucket's when the <paramref name="active"/> exits' sequences are a
    /// prefix [0, m) of the batch that fits fewer bucket rows, with x's and the mask's first m sequences copied over (queued on
    /// the stream); else <paramref name="ws"/> itself.
    /// </summary>
    private CudaWorkspace Narrowed(CudaWorkspace ws, TokenBatch batch, IReadOnlyList<LayerExit> active)
    {
        var m = active.Sum(e => e.SequenceCount);
        if (active.Max(e => e.FirstSequence + e.SequenceCount) != m) return ws;  // not a prefix (exits are disjoint): keep every row
        var shape = ShapeBucket.For(m, batch.SequenceLength, Config.NPositions);
        if (shape.Batch >= ws.Shape.Batch) return ws;
        if (shape.Tokens != ws.Shape.Tokens)
            throw new InvalidOperationException($"bucket {shape} for {m} of {batch.BatchSize} sequences changed T from bucket {ws.Shape}; the copy assumes the same T");
        var narrow = Workspace(shape);
        var c = Config.NEmbd;
        var tb = ws.Shape.Tokens;
        CuDriver.Check(CuDriver.MemcpyDtoDAsync(narrow.X.Pointer, ws.X.Pointer, (nuint)((long)m * tb * c * 4), _context.Stream),
            $"copy of {m} active sequences of x from workspace {ws.Shape} to {shape}");                                       // (m, T_bucket, C) fp32
        CuDriver.Check(CuDriver.MemcpyDtoDAsync(narrow.Mask.Pointer, ws.Mask.Pointer, (nuint)((long)m * tb), _context.Stream),
            $"copy of {m} active sequences of the mask from workspace {ws.Shape} to {shape}");                                // (m, T_bucket) u8
        var rest = narrow.Shape.Rows - ((long)m * tb);
        if (rest > 0)
            CuDriver.Check(CuDriver.MemsetD8Async(narrow.Mask.Pointer + (ulong)((long)m * tb), 0, (nuint)rest, _context.Stream), $"clear the padded mask of workspace {shape}");
        return narrow;
    }

    private void ValidateExits(TokenBatch batch, IReadOnlyList<LayerExit> exits)
    {
        var owner = new int[batch.BatchSize];
        for (var i = 0; i < exits.Count; i++)
        {
            var (k, first, count) = (exits[i].K, exits[i].FirstSequence, exits[i].SequenceCount);
            if (k < 0 || k > Config.NLayer) throw new ArgumentOutOfRangeException(nameof(exits), $"exit {i}: k = {k} is outside [0, {Config.NLayer}]");
            if (count <= 0 || first < 0 || first + count > batch.BatchSize)
                throw new ArgumentOutOfRangeException(nameof(exits), $"exit {i}: sequences [{first}, {first + count}) are outside the batch of {batch.BatchSize}");
            for (var s = first; s < first + count; s++)
            {
                if (owner[s] != 0) throw new ArgumentException($"exits {owner[s] - 1} and {i} both claim sequence {s}", nameof(exits));
                owner[s] = i + 1;
            }
            for (var layer = 0; layer < k; layer++) _ = _weights.Layer(layer);
            if (k == Config.NLayer && _weights.FinalNormGamma is null) throw new InvalidOperationException("this CUDA backend was loaded without the final norm");
        }
    }
}
