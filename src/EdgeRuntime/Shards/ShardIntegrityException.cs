namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>A downloaded shard's SHA-256 did not match its manifest entry, twice: it is never run.</summary>
public sealed class ShardIntegrityException(string message) : EdgeFailureException(message);
