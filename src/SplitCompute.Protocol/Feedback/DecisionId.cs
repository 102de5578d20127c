using System.Security.Cryptography;

namespace SplitCompute.Protocol.Feedback;

/// <summary>
/// The id the gateway gives each routing decision (the id="..." member of X-SplitCompute-Decision): 32 random lowercase hex
/// characters, unguessable, so feedback can only name decisions its sender was actually given.
/// </summary>
public static class DecisionId
{
    public const int Length = 32;
    private const int Bytes = Length / 2;

    /// <summary>Ids per refill of a thread's random buffer: one call into the system's CSPRNG serves this many requests.</summary>
    private const int IdsPerRefill = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>
    /// A new id from cryptographically secure random bytes. They are drawn a few kilobytes at a time per thread (each byte is
    /// used once): one RandomNumberGenerator call per request cost more than the rest of id handling together.
    /// </summary>
    public static string New()
    {
        var buffer = t_random ??= new byte[IdsPerRefill * Bytes];
        if (t_used == 0 || t_used == buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            t_used = 0;
        }
        var id = Convert.ToHexStringLower(buffer.AsSpan(t_used, Bytes));
        buffer.AsSpan(t_used, Bytes).Clear();  // never handed out twice, nor left readable
        t_used += Bytes;
        return id;
    }
}
