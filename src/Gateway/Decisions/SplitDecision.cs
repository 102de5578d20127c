using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Decisions;

/// <summary>One routing decision, as logged to the Redis stream and shown on dashboards.</summary>
public sealed record SplitDecision(
    DateTimeOffset Time, string RequestId, string Model, string Worker, int Sequences, int Tokens,
    SplitPlan Plan, int Status, double ObservedMs, string DecisionId = "");
