namespace SplitCompute.Gateway.Forwarding;

/// <summary>How one attempt on one worker ended, and so whether another worker may be tried.</summary>
internal enum ForwardOutcome
{
    /// <summary>The client got the worker's answer (or went away).</summary>
    Answered,

    /// <summary>The connection failed before any answer (refused, reset, worker died): the worker is not running it, another may.</summary>
    NotStarted,

    /// <summary>The worker may still be running it (timed out) or the failure is not the worker's: no retry.</summary>
    Failed,
}
