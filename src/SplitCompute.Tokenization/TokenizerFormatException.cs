namespace SplitCompute.Tokenization;

/// <summary>
/// A tokenizer file is missing or its content is not what GPT-2's byte-level BPE expects.
/// The message always names the file (and the line, where one applies) so a bad model directory can be fixed without a debugger.
/// </summary>
public sealed class TokenizerFormatException : FormatException
{
    public TokenizerFormatException()
    {
    }

    public TokenizerFormatException(string message)
        : base(message)
    {
    }

    public TokenizerFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Builds the message "<paramref name="filePath"/>[, line N]: <paramref name="detail"/>".</summary>
    public TokenizerFormatException(string filePath, int? lineNumber, string detail, Exception? innerException = null)
        : base(lineNumber is { } line ? $"{filePath}, line {line}: {detail}" : $"{filePath}: {detail}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The file (or embedded resource) at fault, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line at fault, when known.</summary>
    public int? LineNumber { get; }
}
