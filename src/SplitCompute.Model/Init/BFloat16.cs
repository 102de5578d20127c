namespace SplitCompute.Model.Init;

/// <summary>float32 -> bfloat16 with round-to-nearest-even, as torch does (NaN stays NaN).</summary>
internal static class BFloat16
{
    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
