using System.Globalization;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// The refusals of the token limits, shared by <see cref="RedisTokenLimiter"/> and <see cref="LocalTokenLimiter"/>: each names
/// the limit, the key and the request's tokens, as OpenAI's "Limit 150000, Requested 300000" does. A request larger than a
/// limit can never be admitted: it is refused without Retry-After (waiting cannot help).
/// </summary>
public static class TokenLimits
{
    public const string PerMinuteKind = "tokens_per_minute";
    public const string InFlightKind = "tokens_in_flight";

    public static LimitDecision OverPerMinute(ApiKeyRecord key, long tokens, long waitMs) => LimitDecision.Refuse(PerMinuteKind,
        Text($"API key {key.Id} is over its limit of {key.TokensPerMinute} tokens per minute (this request is {tokens} tokens)"),
        Math.Max(1, (int)Math.Ceiling(waitMs / 1000.0)));

    public static LimitDecision OverInFlight(ApiKeyRecord key, long tokens, long inFlight) => LimitDecision.Refuse(InFlightKind,
        Text($"API key {key.Id} already has {inFlight} tokens in flight; this request's {tokens} would pass its limit of {key.TokensInFlight} tokens in flight"), 1);

    public static LimitDecision TooLarge(ApiKeyRecord key, long tokens)
    {
        var (kind, limit, unit) = key.TokensInFlight > 0 && tokens > key.TokensInFlight
            ? (InFlightKind, key.TokensInFlight, "tokens in flight")
            : (PerMinuteKind, key.TokensPerMinute, "tokens per minute");
        return LimitDecision.Refuse(kind, Text($"Request too large for API key {key.Id}: {tokens} tokens, over its limit of {limit} {unit}; send fewer or shorter inputs"), 0);
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
