using System.Buffers.Binary;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>Every malformed file is refused with a <see cref="ModelFormatException"/> naming the file and, where relevant, the tensor.</summary>
public sealed class MalformedFileTests
{
    private const string Meta = "\"__metadata__\":{\"format\":\"pt\"}";

    private static string Refuse(TempDirectory dir, string header, int dataBytes, params string[] mentions)
    {
        var path = RawFile.Write(dir, "bad.safetensors", RawFile.Build(header, dataBytes));
        return RawFile.AssertRefused(path, mentions).Message;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileShorterThanEightBytes(int length)
    {
        using var dir = new TempDirectory();
        var path = RawFile.Write(dir, "short.safetensors", new byte[length]);
        RawFile.AssertRefused(path, "shorter than");
    }

    [Fact]
    public void HeaderLengthLargerThanFile()
    {
        using var dir = new TempDirectory();
        var bytes = RawFile.Build("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        RawFile.AssertRefused(RawFile.Write(dir, "m.safetensors", bytes), "1000");
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void HeaderLengthAbsurd(ulong length)
    {
        using var dir = new TempDirectory();
        var bytes = RawFile.Build("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        RawFile.AssertRefused(RawFile.Write(dir, "m.safetensors", bytes), "limit");
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": ")]
    [InlineData("not json at all")]
    [InlineData("\u0000\u0000\u0000\u0000")]
    public void HeaderNotValidJson(string header)
    {
        using var dir = new TempDirectory();
        Refuse(dir, header, 0, "JSON");
    }

    [Fact]
    public void HeaderNotValidUtf8()
    {
        // Found by the mutation property: JsonDocument only notices bad UTF-8 when a string is read.
        using var dir = new TempDirectory();
        var bytes = RawFile.Build("{\"t\u00e9\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        bytes[8 + 3] = 0xFF;
        RawFile.AssertRefused(RawFile.Write(dir, "m.safetensors", bytes), "UTF-8");
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void HeaderNotAnObject(string header)
    {
        using var dir = new TempDirectory();
        Refuse(dir, header, 0, "object");
    }

    [Theory]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets")]
    [InlineData("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "shape")]
    [InlineData("{\"w\":[1,2]}", "object")]
    public void EntryMissingOrMistypedField(string header, string field)
    {
        using var dir = new TempDirectory();
        Refuse(dir, header, 4, "'w'", field);
    }

    [Fact]
    public void UnknownDType()
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{" + Meta + ",\"h.0.w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "'h.0.w'", "F64");
    }

    [Fact]
    public void NegativeShapeDimension()
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"neg\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,0]}}", 0, "'neg'", "negative");
    }

    [Theory]
    [InlineData("[1.5]")]
    [InlineData("[\"4\"]")]
    [InlineData("[99999999999999999999999]")]
    public void NonIntegerShapeDimension(string shape)
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"bad\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", 4, "'bad'", "integer");
    }

    [Theory]
    [InlineData("[4294967296,4294967296]")]
    [InlineData("[9223372036854775807,2]")]
    [InlineData("[4611686018427387904]")] // element count fits, byte count (x4) does not
    public void ElementCountOverflow(string shape)
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"big\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", 4, "'big'", "overflow");
    }

    [Theory]
    [InlineData("[0]")]
    [InlineData("[0,4,8]")]
    [InlineData("[\"0\",4]")]
    [InlineData("{\"begin\":0}")]
    [InlineData("[0.0,4]")]
    public void DataOffsetsNotAPair(string offsets)
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", 8, "'t'", "data_offsets");
    }

    [Theory]
    [InlineData("[8,4]")]
    [InlineData("[-4,0]")]
    public void DataOffsetsBeginAfterEndOrNegative(string offsets)
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", 8, "'t'", "begin <= end");
    }

    [Fact]
    public void DataOffsetsEndBeyondDataRegion()
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8, "'t'", "beyond the data region");
    }

    [Fact]
    public void ByteLengthDisagreesWithShapeAndDType()
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"t\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "'t'", "needs 8");
    }

    [Fact]
    public void OverlappingTensors()
    {
        using var dir = new TempDirectory();
        // Declared out of order so the check has to sort by begin.
        var header = "{\"late\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]},"
            + "\"first\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        Refuse(dir, header, 20, "'first'", "'late'", "overlap");
    }

    [Fact]
    public void DuplicateTensorName()
    {
        using var dir = new TempDirectory();
        var header = "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        Refuse(dir, header, 2, "'t'", "twice");
    }

    [Fact]
    public void MetadataMustBeStrings()
    {
        using var dir = new TempDirectory();
        Refuse(dir, "{\"__metadata__\":{\"n\":3}}", 0, "__metadata__", "'n'");
    }

    [Fact]
    public void TruncatedFile()
    {
        using var dir = new TempDirectory();
        var valid = RawFile.SmallValidFile(dir);
        var path = RawFile.Write(dir, "truncated.safetensors", valid[..^3]);
        // The last tensor written is 'c'; it no longer fits.
        RawFile.AssertRefused(path, "'c'", "truncated");
    }

    [Fact]
    public void MissingFileIsAModelFormatException()
    {
        using var dir = new TempDirectory();
        RawFile.AssertRefused(dir.File("absent.safetensors"));
    }

    [Fact]
    public void ForeignTensorInfoCannotBeRead()
    {
        using var dir = new TempDirectory();
        var path = RawFile.Write(dir, "ok.safetensors", RawFile.SmallValidFile(dir));
        using var file = SafeTensorsFile.Open(path);
        var forged = file.Tensors["b"] with { DataOffset = 1L << 40 };
        Assert.Throws<ArgumentException>(() => file.GetBytes(forged).Length);
    }
}
