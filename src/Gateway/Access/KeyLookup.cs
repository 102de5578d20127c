namespace SplitCompute.Gateway.Access;

/// <summary>
/// The outcome of looking a presented key up. <see cref="Record"/> null with <see cref="Unavailable"/> false: no such key.
/// <see cref="Unavailable"/>: Redis could not be asked and this replica has never seen the key. <see cref="Stale"/>: Redis could
/// not be asked and the last-known record is used.
/// </summary>
public readonly record struct KeyLookup(ApiKeyRecord? Record, bool Unavailable, bool Stale);
