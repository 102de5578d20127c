using System.ComponentModel.DataAnnotations;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>Configuration section "Worker" (also from the command line: --Worker:ModelDirectory=...).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Hugging Face GPT-2 model directory.</summary>
    [Required]
    public string ModelDirectory { get; set; } = "";

    /// <summary>Where content-addressed shards live; default: ModelDirectory/shards.</summary>
    public string? ShardDirectory { get; set; }

    /// <summary>The model name clients use; default: the model directory's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Unique per worker; default: host name and process id.</summary>
    public string? WorkerId { get; set; }

    /// <summary>The URL gateways forward to (e.g. http://10.0.0.5:8081); default: the first address Kestrel listens on.</summary>
    public string? PublicAddress { get; set; }

    /// <summary>Forward passes run at once; further requests queue.</summary>
    [Range(1, 64)]
    public int Capacity { get; set; } = 1;

    /// <summary>Threads of the CPU backend; default: all cores.</summary>
    [Range(1, 1024)]
    public int? Threads { get; set; }

    [Range(50, 500)]
    public int HeartbeatIntervalMs { get; set; } = 250;

    [Range(200, 60_000)]
    public int HeartbeatTtlMs { get; set; } = 2_000;

    /// <summary>
    /// Where head layers run: "auto" (the GPU when CUDA and a device are present, else the CPU, saying why), "cuda" (the GPU
    /// or refuse to start), "cpu".
    /// </summary>
    [RegularExpression("^(auto|cuda|cpu)$", ErrorMessage = "Worker:Device must be auto, cuda or cpu")]
    public string Device { get; set; } = "auto";

    /// <summary>Product precision on the GPU: "f16" (fp16 weights, fp32 accumulation) or "f32" (exact, for parity checks).</summary>
    [RegularExpression("^(f16|f32)$", ErrorMessage = "Worker:CudaPrecision must be f16 or f32")]
    public string CudaPrecision { get; set; } = "f16";

    /// <summary>Extra folder holding libcublasLt / libnvrtc when they are outside the loader's paths.</summary>
    public string? CudaLibraryDirectory { get; set; }

    /// <summary>
    /// Coalesce requests into one forward pass (each still gets its own k): whatever waits when the device becomes free runs
    /// together, up to BatchMaxTokens. Off: every request is its own pass, at most Capacity at once.
    /// </summary>
    public bool Batching { get; set; } = true;

    /// <summary>With batching, also wait this long after the first waiting request for others to join (0: never wait).</summary>
    [Range(0, 1_000)]
    public double BatchWindowMs { get; set; }

    /// <summary>Most padded tokens (sequences x longest sequence) one batch may hold; a larger request runs alone.</summary>
    [Range(1, 1 << 20)]
    public int BatchMaxTokens { get; set; } = 16_384;

    /// <summary>
    /// How often the shard manifest is written to Redis again (besides after every reconnect). It is kept for 7 days there, and
    /// gateways sign it from there for pinned edges: without rewriting, a long-running worker's manifest would expire, or stay
    /// gone after a FLUSH, and every pinned edge would fall back to the cloud.
    /// </summary>
    [Range(1, 86_400)]
    public int ManifestRepublishSeconds { get; set; } = 3_600;

    /// <summary>
    /// Largest request body accepted (413 beyond). Larger than the gateway's 4 MiB: the gateway forwards texts as the token ids it
    /// computed, up to 2048 inputs x 1024 tokens x 6 bytes ("50256,") = 12.6 MB for a body it accepted at 4 MiB.
    /// </summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    public const long DefaultMaxRequestBytes = 16 * 1024 * 1024;
}
