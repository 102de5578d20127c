namespace SplitCompute.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-unicode map (bytes_to_unicode in OpenAI's encoder.py). Vocabulary and merge files
/// spell every byte as a printable character so that BPE tokens are plain strings: printable Latin-1 bytes map to
/// themselves, the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) to U+0100 upwards, e.g. space to 'Ġ' (U+0120).
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte value.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Inverse of <see cref="ByteToChar"/> over U+0000..U+01FF; -1 where a character stands for no byte.</summary>
    private static readonly short[] CharToByteTable = BuildCharToByte();

    /// <summary>The byte a character stands for, or -1 if it is not part of the alphabet.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[512];
        Array.Fill(table, (short)-1);
        for (var b = 0; b < 256; b++) table[ByteToChar[b]] = (short)b;
        return table;
    }
}
