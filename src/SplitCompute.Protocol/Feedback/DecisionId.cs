using System.Security.Cryptography;

namespace SplitCompute.Protocol.Feedback;

/// <summary>
/// The id the gateway gives each routing decision (the id="..." member of X-SplitCompute-Decision): 32 random lowercase hex
/// characters, unguessable, so feedback can only name decisions its sender was actually given.
/// </summary>
public static class DecisionId
{
    public const int Length = 32;

    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));
}
