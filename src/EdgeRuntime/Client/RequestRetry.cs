using Polly;
using Polly.Retry;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// The edge client's retry policy for gateway requests (Polly): transport failures (HttpRequestException: refused, reset), answers
/// cut off mid-body (HttpIOException, an IOException: a worker or gateway died while answering) and 502/503/504 are retried with
/// exponential backoff and jitter, honouring Retry-After; anything else (4xx, a malformed but complete answer) is final at once.
/// </summary>
internal static class RequestRetry
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    public static ResiliencePipeline Create(EdgeOptions options)
    {
        if (options.Retries <= 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<IOException>()
                .Handle<EdgeRequestException>(e => e.IsTransient),
            MaxRetryAttempts = options.Retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryDelay,
            MaxDelay = MaxDelay,
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is EdgeRequestException { RetryAfter: { } after }
                ? (TimeSpan?)(after < MaxDelay ? after : MaxDelay)
                : null),
        }).Build();
    }
}
