using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// Activations for up to <see cref="Capacity"/> rows (R = B*T) and the small uniform buffers of each dispatch, plus the bind
/// groups that tie them to each layer's weights (built on first use, kept while the workspace lives).
/// Legend: B batch, T tokens, C channels, R rows.
/// </summary>
internal sealed class GpuWorkspace : IDisposable
{
    private readonly List<GpuBuffer> _buffers = [];

    /// <param name="mlpWidth">The MLP's hidden width (GPT-2: 4C; an encoder: its intermediate_size); default 4C.</param>
    public GpuWorkspace(WebGpuDevice device, int capacity, int c, int? mlpWidth = null)
    {
        Capacity = capacity;
        try
        {
            X = Storage(device, "x (R, C)", (long)capacity * c);
            Normed = Storage(device, "normed (R, C)", (long)capacity * c);
            Qkv = Storage(device, "qkv (R, 3C)", (long)capacity * 3 * c);
            Attention = Storage(device, "attention (R, C)", (long)capacity * c);
            Mlp = Storage(device, "mlp (R, I)", (long)capacity * (mlpWidth ?? 4 * c));
            Mask = Storage(device, "mask (B, T)", capacity);
            Readback = Add(GpuBuffer.Create(device, "readback (R, C)", (ulong)capacity * (ulong)c * 4, GpuBuffer.Readback));
            QkvParams = Uniform(device, "params qkv");
            ProjParams = Uniform(device, "params attn proj");
            FcParams = Uniform(device, "params fc");
            FcProjParams = Uniform(device, "params fc proj");
            LayerNormParams = Uniform(device, "params layernorm");
            AttentionParams = Uniform(device, "params attention");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// The workspace in <paramref name="current"/>, replaced by one grown (in steps of 64 rows) when a batch needs more rows; the
    /// bind groups go with the old one.
    /// </summary>
    public static GpuWorkspace Ensure(ref GpuWorkspace? current, WebGpuDevice device, int rows, int c, int? mlpWidth = null)
    {
        if (current is { } existing && existing.Capacity >= rows) return existing;
        current?.Dispose();
        current = null;
        current = new GpuWorkspace(device, (rows + 63) / 64 * 64, c, mlpWidth);
        return current;
    }

    /// <summary>Uploads a range's input: the hidden state into x (R, C) and its padding mask (B, T) as u32.</summary>
    public void WriteInput(WebGpuDevice device, Model.Forward.HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        X.Write<float>(device, hidden.Data);
        var mask = hidden.Batch.Mask;
        var words = new uint[mask.Length];
        for (var i = 0; i < words.Length; i++) words[i] = mask[i];
        Mask.Write<uint>(device, words);
    }

    /// <summary>Rows (B*T) the buffers hold.</summary>
    public int Capacity { get; }

    public GpuBuffer X { get; } = null!;
    public GpuBuffer Normed { get; } = null!;
    public GpuBuffer Qkv { get; } = null!;
    public GpuBuffer Attention { get; } = null!;
    public GpuBuffer Mlp { get; } = null!;
    public GpuBuffer Mask { get; } = null!;
    public GpuBuffer Readback { get; } = null!;
    public GpuBuffer QkvParams { get; } = null!;
    public GpuBuffer ProjParams { get; } = null!;
    public GpuBuffer FcParams { get; } = null!;
    public GpuBuffer FcProjParams { get; } = null!;
    public GpuBuffer LayerNormParams { get; } = null!;
    public GpuBuffer AttentionParams { get; } = null!;

    /// <summary>Bind groups per layer, and the final norm's under key -1.</summary>
    public Dictionary<int, LayerBindings> Bindings { get; } = [];

    private GpuBuffer Storage(WebGpuDevice device, string label, long floats) =>
        Add(GpuBuffer.Create(device, label, (ulong)floats * 4, GpuBuffer.Storage));

    private GpuBuffer Uniform(WebGpuDevice device, string label) => Add(GpuBuffer.Create(device, label, 16, GpuBuffer.Uniform));

    private GpuBuffer Add(GpuBuffer buffer)
    {
        _buffers.Add(buffer);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var bindings in Bindings.Values) bindings.Dispose();
        Bindings.Clear();
        foreach (var buffer in _buffers) buffer.Dispose();
        _buffers.Clear();
    }
}
