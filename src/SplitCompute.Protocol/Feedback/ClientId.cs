using System.Security.Cryptography;

namespace SplitCompute.Protocol.Feedback;

/// <summary>
/// The value of X-SplitCompute-Client: 16 to 64 characters of lowercase hex or '-'. Edge clients make one of 32 random hex
/// characters (128 bits) once and keep it with their shard cache, so the gateway can tell a returning client's feedback apart.
/// </summary>
public static class ClientId
{
    public const int MinLength = 16;
    public const int MaxLength = 64;

    public static bool IsValid(string? value) =>
        value is { Length: >= MinLength and <= MaxLength } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or '-');

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
