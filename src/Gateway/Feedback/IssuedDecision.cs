using System.Diagnostics;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// A split decision as the gateway made it, kept until its feedback arrives: whose it was and the request's real shape, so
/// feedback is read against the gateway's own facts (k, n, B, T, C), never against figures the client could invent.
/// <see cref="Trace"/> is the request's span, so the stages the edge reports later join the same trace.
/// </summary>
public sealed record IssuedDecision(string ClientId, string Model, int K, int N, int Channels, PlanRequest Request, DateTimeOffset IssuedAt,
    ActivityContext Trace = default);
