namespace SplitCompute.Model.SafeTensors;

/// <summary>Sizes and on-disk names of <see cref="TensorDType"/> values.</summary>
public static class TensorDTypes
{
    public static int SizeOf(this TensorDType d) => d switch
    {
        TensorDType.F32 => 4,
        TensorDType.F16 => 2,
        TensorDType.BF16 => 2,
        TensorDType.I64 => 8,
        TensorDType.I32 => 4,
        TensorDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown tensor dtype"),
    };

    public static string ToSafeTensorsName(this TensorDType d) => d switch
    {
        TensorDType.F32 => "F32",
        TensorDType.F16 => "F16",
        TensorDType.BF16 => "BF16",
        TensorDType.I64 => "I64",
        TensorDType.I32 => "I32",
        TensorDType.U8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown tensor dtype"),
    };

    /// <summary>Parses the exact (case-sensitive) safetensors spelling, as the format defines it.</summary>
    public static bool TryParse(string name, out TensorDType d)
    {
        switch (name)
        {
            case "F32": d = TensorDType.F32; return true;
            case "F16": d = TensorDType.F16; return true;
            case "BF16": d = TensorDType.BF16; return true;
            case "I64": d = TensorDType.I64; return true;
            case "I32": d = TensorDType.I32; return true;
            case "U8": d = TensorDType.U8; return true;
            default: d = default; return false;
        }
    }
}
