namespace SplitCompute.EdgeRuntime;

/// <summary>
/// The edge could not do its part of a split for a reason outside this code: the network, the disk, a shard's integrity, a
/// signed manifest, the model files, the WebGPU device or memory. It is the one exception the edge client answers by asking
/// the cloud instead; anything else (an ArgumentException, an InvalidOperationException) is a bug and reaches the caller.
/// Thrown as itself where the edge finds the problem, and by <see cref="From"/> where a failure arrives from outside.
/// </summary>
public class EdgeFailureException : Exception
{
    public EdgeFailureException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = GetType().Name;
    }

    private EdgeFailureException(Exception external)
        : base(external.Message, external)
    {
        Kind = external.GetType().Name;
    }

    /// <summary>
    /// What failed, by the type of the first exception: this one's, or that of the external failure it wraps
    /// ("HttpRequestException", "WebGpuDeviceLostException"), so a fallback reason names the real cause.
    /// </summary>
    public string Kind { get; }

    /// <summary>An external failure (its message kept, as it already names what failed) as an edge failure.</summary>
    public static EdgeFailureException From(Exception external)
    {
        ArgumentNullException.ThrowIfNull(external);
        return external as EdgeFailureException ?? new EdgeFailureException(external);
    }
}
