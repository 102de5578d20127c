using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// An embeddings request the gateway will serve: the body for the worker (texts already replaced by their token ids; resent on
/// a retry), what the client asked for, the model it resolved to, and its size in tokens after truncation (what the planner
/// prices).
/// </summary>
internal sealed record ValidatedEmbeddingsRequest(byte[] Body, EmbeddingRequest Parsed, ResolvedModel Resolved, PlanRequest Size);

/// <summary>Why a request is refused before any worker sees it; <see cref="RetryAfter"/> when waiting may help (no worker yet).</summary>
internal sealed record EmbeddingsRefusal(ApiError Error, bool RetryAfter = false);
