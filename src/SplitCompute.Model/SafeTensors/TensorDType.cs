namespace SplitCompute.Model.SafeTensors;

/// <summary>The safetensors element types this product reads or writes. Others (F64, BOOL, ...) are refused at load.</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
    I64,
    I32,
    U8,
}
