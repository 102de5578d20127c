namespace SplitCompute.Gateway.Forwarding;

/// <summary>How one attempt on one worker ended, and so whether another worker may be tried.</summary>
internal enum ForwardOutcome
{
    /// <summary>The client got the worker's answer (or went away).</summary>
    Answered,

    /// <summary>The worker never received the request (connection refused, no route): trying another cannot run it twice.</summary>
    NotStarted,

    /// <summary>The worker may have started (timed out, connection dropped mid-request): retrying could run it twice, so no retry.</summary>
    Failed,
}
