namespace SplitCompute.Protocol.Feedback;

/// <summary>
/// What an edge client observed for one split request (POST /v1/feedback, docs/protocol.md §5): which decision, and the real
/// milliseconds of each stage. The gateway turns it into this client's measured profile for its next plans.
/// </summary>
public sealed record EdgeFeedback(
    string DecisionId,      // the id="..." member of X-SplitCompute-Decision
    string Model,
    int K,                  // the decision's split: the client ran layers [K, N)
    int N,
    double RequestMs,       // request sent -> hidden state received (queue, cloud layers, transfer)
    double DownloadMs,      // shards fetched and verified (0 when all were cached)
    long DownloadedBytes,   // bytes that crossed the network for those shards
    double EdgeMs,          // layers [K, N), final norm and pooling on this device
    double TotalMs,
    bool FellBack,          // the edge failed and the cloud answered instead (EdgeMs is then meaningless)
    bool WeightsLoaded = false,   // some tail weights were not resident and had to be loaded (true iff LoadedBytes > 0)
    double LoadMs = 0,            // of EdgeMs: reading, verifying, binding/uploading tail weights; 0 <= LoadMs <= EdgeMs
    long LoadedBytes = 0);        // weight bytes loaded for this tail; 0 when all were resident in device memory
