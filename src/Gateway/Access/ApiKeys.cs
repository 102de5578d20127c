using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// API key format and hashing. A key is "sc_" + base64url of 32 CSPRNG bytes (256 bits), so a plain SHA-256 is a safe way to
/// store it: there is nothing to brute-force that a slow password hash would protect. Only the hash is ever stored; the key's
/// public id is the first 12 hex characters of its hash (enough to name it in `keys revoke`, useless for authenticating).
/// </summary>
public static class ApiKeys
{
    public const string Prefix = "sc_";
    public const int SecretBytes = 32;
    public const int IdLength = 12;

    /// <summary>Length of a well-formed key: the prefix plus unpadded base64url of <see cref="SecretBytes"/>.</summary>
    public static readonly int KeyLength = Prefix.Length + Base64Url.GetEncodedLength(SecretBytes);

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>Lowercase hex SHA-256 of the key's UTF-8 bytes.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string IdOf(string hash) => hash[..IdLength];

    /// <summary>
    /// True when <paramref name="key"/> has the shape of a key this product issues. Anything else is refused without a Redis
    /// lookup, so junk credentials cost nothing and cannot fill the lookup cache.
    /// </summary>
    public static bool LooksValid(string? key)
    {
        if (key is null || key.Length != KeyLength || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (var c in key.AsSpan(Prefix.Length))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        }
        return true;
    }

    /// <summary>True for a public key id as printed by `keys list` (12 lowercase hex characters).</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: IdLength } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
