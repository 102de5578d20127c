namespace SplitCompute.Redis.Protocol;

/// <summary>The RESP2 reply types. The numeric values are the wire prefix bytes, so a value prints as its prefix.</summary>
public enum RespType : byte
{
    SimpleString = (byte)'+',
    Error = (byte)'-',
    Integer = (byte)':',
    BulkString = (byte)'$',
    Array = (byte)'*',
}
