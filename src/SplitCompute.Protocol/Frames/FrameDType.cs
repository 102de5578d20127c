namespace SplitCompute.Protocol.Frames;

/// <summary>Element type of a frame's payload on the wire (in memory it is always float). Wire spelling: "f32", "f16".</summary>
public enum FrameDType
{
    /// <summary>IEEE 754 binary32, little-endian; lossless.</summary>
    F32,

    /// <summary>IEEE 754 binary16, little-endian; half the bytes, about 3 significant digits.</summary>
    F16,
}
