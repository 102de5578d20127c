using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// Whether a failed attempt may go to another worker: only when the connection failed before any answer (refused, reset, the
/// worker process died). Then the worker is not running the request: it never got it, or lost it with the connection (a worker
/// drops work whose connection is gone). A timed-out request is different: the worker may be busy with it still, and one slow
/// by its size would time out on every worker in turn, so it is answered 504 instead of being sent elsewhere.
/// </summary>
internal static class RetryPolicy
{
    public static ForwardOutcome Classify(ForwarderError error) => error switch
    {
        ForwarderError.None => ForwardOutcome.Answered,
        ForwarderError.Request => ForwardOutcome.NotStarted,
        _ => ForwardOutcome.Failed,
    };
}
