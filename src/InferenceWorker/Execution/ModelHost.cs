using Microsoft.Extensions.Options;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Encoders;
using SplitCompute.Cuda.Interop;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Shards;
using SplitCompute.Tokenization;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// The loaded model: weights on the chosen backend (GPU or CPU, see <see cref="BackendSelector"/>), tokenizer, and the shards (made at start if missing or stale) with the manifest
/// that points clients at them through the gateway's /v1/shards/{sha256}. Two families: GPT-2 (config.json model_type "gpt2") and
/// BERT-family sentence encoders in sentence-transformers' layout (bert, roberta, xlm-roberta; <see cref="Encoder"/>), on
/// <see cref="CudaEncoderBackend"/> or the CPU encoder, with per-layer shards so an edge can run layers [k, N) like GPT-2's.
/// </summary>
public sealed partial class ModelHost : IDisposable
{
    private readonly Gpt2Weights? _weights;

    public ModelHost(IOptions<WorkerOptions> options, ILogger<ModelHost> logger)
    {
        var o = options.Value;
        var directory = Path.GetFullPath(o.ModelDirectory);
        ModelId = string.IsNullOrWhiteSpace(o.ModelId) ? Path.GetFileName(directory.TrimEnd('/')) : o.ModelId;
        var shardDirectory = o.ShardDirectory ?? Path.Combine(directory, "shards");
        if (ServedEncoder.IsEncoder(directory))
        {
            Encoder = ServedEncoder.Load(directory);
            Shape = Encoder.Backend.Shape;
            Embedding = EmbeddingSettings.Load(directory, Shape.Channels);
            var encoder = Encoder.Backend;
            (Backend, Device) = BackendSelector.Select(o.Device,
                cuda: () =>
                {
                    var backend = CudaEncoderBackend.Create(encoder, CudaOptions(o));
                    return (backend, $"{backend.Device} {o.CudaPrecision}");
                },
                cpu: () => (encoder, $"{o.Threads ?? Environment.ProcessorCount}-core CPU (OpenBLAS)"));
            Tokenizer = Encoder.Tokenizer;
            MaxTokens = Encoder.Layout.MaxSequenceLength;
            MaxTokensName = "max_seq_length";
            DefaultPooling = Encoder.Pooling;
            Revision = Encoder.Revision;
            var index = EncoderShardBuilder.EnsureShards(directory, shardDirectory, Encoder.Layout.Config, Revision);
            Shards = new ShardStore(shardDirectory);
            Manifest = ShardManifests.Build(ModelId, Revision, Encoder.Layout.Config, index, "f32");
        }
        else
        {
            Config = Gpt2Config.Load(directory);
            Shape = Config.Shape;
            Embedding = EmbeddingSettings.Load(directory, Config.NEmbd);
            _weights = Gpt2Weights.Load(directory);
            var weights = _weights;
            (Backend, Device) = BackendSelector.Select(o.Device,
                cuda: () =>
                {
                    var backend = CudaBackend.Create(weights, CudaOptions(o));
                    return (backend, $"{backend.Device} {o.CudaPrecision}");
                },
                cpu: () =>
                {
                    var backend = new CpuBackend(weights, o.Threads);
                    LogCpuKernels(logger, backend.Blas);
                    return (backend, $"{o.Threads ?? Environment.ProcessorCount}-core CPU (OpenBLAS {backend.Blas.CoreName})");
                });
            // A model directory without vocab files (like a bare checkpoint) serves token-id input only.
            Tokenizer = HasVocabulary(directory) ? Gpt2Tokenizer.FromDirectory(directory) : null;
            MaxTokens = Config.NPositions;
            MaxTokensName = "n_positions";
            DefaultPooling = Pooling.Mean;
            var index = ShardBuilder.EnsureShards(directory, shardDirectory);
            Shards = new ShardStore(shardDirectory);
            Revision = index.Revision;
            Manifest = ShardManifests.Build(ModelId, Config, index, "f32");
        }
        if (Device.FallbackReason is not null) LogCpuFallback(logger, Device.FallbackReason);
        LogDevice(logger, Device.Device, Device.DeviceName, Shape.Layers);
    }

    public string ModelId { get; }
    public string Revision { get; }

    /// <summary>GPT-2's config; null for an encoder (<see cref="Encoder"/>).</summary>
    public Gpt2Config? Config { get; }

    /// <summary>The sentence encoder's layout, tokenizer and backend; null for GPT-2.</summary>
    public ServedEncoder? Encoder { get; }

    /// <summary>Layers, width, positions and vocabulary of whichever family is served.</summary>
    public LayerStackShape Shape { get; }

    /// <summary>The most tokens one input may have (GPT-2's n_positions, an encoder's max_seq_length), and that field's name for errors.</summary>
    public int MaxTokens { get; }
    public string MaxTokensName { get; }

    /// <summary>GPT-2: mean unless the request asks for the last token; an encoder: its Pooling module's (cls, mean or max), always.</summary>
    public Pooling DefaultPooling { get; }

    /// <summary>Normalisation by default, Matryoshka dimensions and dtype (also in the heartbeat, for the gateway's /v1/models).</summary>
    public EmbeddingSettings Embedding { get; }

    /// <summary>Whether a request's <c>model</c> names this model: its id or id@revision (case-insensitive), "default", or none.</summary>
    public bool Serves(string? requested) =>
        requested is null or "default"
        || string.Equals(requested, ModelId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(requested, $"{ModelId}@{Revision}", StringComparison.OrdinalIgnoreCase);
    public ILayerRangeBackend Backend { get; }

    /// <summary>Whether the embedding tables are in host memory, so k = 0 can be answered without the device (<see cref="EmbedOnHost"/>).</summary>
    public bool EmbedsOnHost => _weights?.TokenEmbedding is not null && _weights.PositionEmbedding is not null;

    /// <summary>The input embeddings gathered from host memory, (B, T) -> (B, T, C): what the backend's Embed computes.</summary>
    public HiddenState EmbedOnHost(TokenBatch batch) =>
        TokenEmbeddings.Gather(_weights ?? throw new InvalidOperationException("only GPT-2's embeddings are gathered on the host"), batch);
    /// <summary>Null when the model directory has no vocab files: only token ids are accepted then.</summary>
    public ITextTokenizer? Tokenizer { get; }
    public ShardStore Shards { get; }

    /// <summary>All layers and the final norm, f32 shards; null while the model cannot be split (encoders, for now).</summary>
    public ShardManifest? Manifest { get; }

    /// <summary>Which backend runs the head layers and on what hardware (also in the heartbeat).</summary>
    public DeviceChoice Device { get; }

    public string DeviceName => Device.DeviceName;

    private static CudaBackendOptions CudaOptions(WorkerOptions o) => new()
    {
        Precision = o.CudaPrecision == "f32" ? CudaPrecision.Float32 : CudaPrecision.Float16,
        LibraryDirectories = o.CudaLibraryDirectory is null ? [] : [o.CudaLibraryDirectory],
    };

    private static bool HasVocabulary(string directory) =>
        (File.Exists(Path.Combine(directory, "vocab.json")) || File.Exists(Path.Combine(directory, "encoder.json")))
        && (File.Exists(Path.Combine(directory, "merges.txt")) || File.Exists(Path.Combine(directory, "vocab.bpe")));

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "head layers run on {Device}: {DeviceName} ({Layers} layers)")]
    private static partial void LogDevice(ILogger logger, string device, string deviceName, int layers);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Worker:Device is auto and CUDA is not usable, running on the CPU: {Reason}")]
    private static partial void LogCpuFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "CPU matrix products: {Selection}")]
    private static partial void LogCpuKernels(ILogger logger, OpenBlasSelection selection);

    public void Dispose()
    {
        Backend.Dispose();
        if (Encoder is not null && !ReferenceEquals(Backend, Encoder.Backend)) Encoder.Backend.Dispose();  // the CUDA encoder was made from it
        _weights?.Dispose();
    }
}
