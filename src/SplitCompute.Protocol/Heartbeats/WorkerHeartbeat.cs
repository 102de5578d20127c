using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitCompute.Protocol.Heartbeats;

/// <summary>
/// What a worker publishes to Redis at least every 500 ms (key <see cref="KeyPrefix"/>{WorkerId}, with a TTL) so gateways can
/// plan with live load. Times are the worker's own measurements (EWMA over recent requests).
/// </summary>
public sealed record WorkerHeartbeat
{
    public const int CurrentVersion = 1;
    public const string KeyPrefix = "splitcompute:worker:";
    public const string ManifestKeyPrefix = "splitcompute:manifest:";

    [JsonPropertyName("v")] public int Version { get; init; } = CurrentVersion;
    [JsonPropertyName("worker_id")] public required string WorkerId { get; init; }
    [JsonPropertyName("address")] public required string Address { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("revision")] public required string Revision { get; init; }
    [JsonPropertyName("n_layer")] public required int NLayer { get; init; }
    [JsonPropertyName("n_embd")] public required int NEmbd { get; init; }
    /// <summary>The most tokens one input may have: GPT-2's n_positions, an encoder's max_seq_length.</summary>
    [JsonPropertyName("n_positions")] public required int NPositions { get; init; }

    /// <summary>The model family: "gpt2", or "bert" / "roberta" / "xlm-roberta" for sentence encoders. Absent: gpt2 (older workers).</summary>
    [JsonPropertyName("family")] public string Family { get; init; } = "gpt2";

    /// <summary>How token states become the embedding: "mean", "cls" or "max" (an encoder's Pooling module). Absent: mean.</summary>
    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "mean";
    [JsonPropertyName("device")] public required string Device { get; init; }

    /// <summary>The weights' dtype as stored (f32, f16, bf16). Absent in older heartbeats: f32.</summary>
    [JsonPropertyName("dtype")] public string DType { get; init; } = "f32";

    /// <summary>Whether embeddings are unit length unless a request says otherwise (<c>normalize</c>).</summary>
    [JsonPropertyName("normalize")] public bool Normalize { get; init; }

    /// <summary>Matryoshka widths the model supports below its full width, largest first; null (absent): full width only.</summary>
    [JsonPropertyName("dimensions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<int>? Dimensions { get; init; }

    /// <summary>
    /// The fingerprint of the worker's tokenizer (SHA-256 of its ids' bytes and merges); null when it has none (token ids only).
    /// A gateway with the same tokenizer sends its token ids instead of the texts, so texts are tokenized once.
    /// </summary>
    [JsonPropertyName("tokenizer"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Tokenizer { get; init; }

    [JsonPropertyName("device_name")] public required string DeviceName { get; init; }
    [JsonPropertyName("queue_depth")] public int QueueDepth { get; init; }
    [JsonPropertyName("in_flight")] public int InFlight { get; init; }
    [JsonPropertyName("capacity")] public int Capacity { get; init; }
    [JsonPropertyName("ms_per_layer_token")] public double MsPerLayerToken { get; init; }
    [JsonPropertyName("embed_ms_per_token")] public double EmbedMsPerToken { get; init; }

    /// <summary>
    /// Milliseconds of device work ahead of a request arriving at <see cref="UnixMs"/>: the predicted cost of every queued request
    /// (embeddings by tokens + k x rows x ms per layer-row, from the measured EWMAs) plus what remains of the passes running now,
    /// divided by the passes that can run at once (1 with batching).
    /// </summary>
    [JsonPropertyName("backlog_ms")] public double BacklogMs { get; init; }

    /// <summary>Fraction (0..1) of wall time the device was busy running passes over the last 5 s, measured. Absent: 0 (older workers).</summary>
    [JsonPropertyName("busy_fraction")] public double BusyFraction { get; init; }

    /// <summary>
    /// Whether a request that takes only the embeddings (k = 0) is answered at once from host memory instead of waiting in the
    /// device queue. Absent: false (older workers).
    /// </summary>
    [JsonPropertyName("embeds_outside_queue")] public bool EmbedsOutsideQueue { get; init; }

    /// <summary>When this heartbeat's figures were taken (Unix milliseconds).</summary>
    [JsonPropertyName("unix_ms")] public long UnixMs { get; init; }

    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses a heartbeat; null when it is malformed or of another version (a bad entry never breaks a gateway).</summary>
    public static WorkerHeartbeat? TryParse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            var heartbeat = JsonSerializer.Deserialize<WorkerHeartbeat>(json, Options);
            return heartbeat is { Version: CurrentVersion, NLayer: > 0, NEmbd: > 0, Capacity: > 0 } && Uri.TryCreate(heartbeat.Address, UriKind.Absolute, out _)
                ? heartbeat
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string ManifestKey(string model, string revision) => $"{ManifestKeyPrefix}{model}:{revision}";
}
