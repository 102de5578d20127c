namespace SplitCompute.EdgeRuntime.Integrity;

/// <summary>
/// A frame's manifest could not be matched against the gateway's signed manifest (not fetched, not signed by the pinned key,
/// or an entry differs): its shards are never downloaded or run, and the client falls back to the cloud.
/// </summary>
public sealed class ManifestVerificationException(string message, Exception? inner = null) : EdgeFailureException(message, inner);
