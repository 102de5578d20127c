namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// How OpenAI JSON carries each embedding (<c>encoding_format</c>): a JSON array of numbers, or the base64 of the vector's
/// little-endian IEEE float32 bytes (OpenAI's SDKs ask for base64 by default).
/// </summary>
public enum EncodingFormat
{
    Float,
    Base64,
}
