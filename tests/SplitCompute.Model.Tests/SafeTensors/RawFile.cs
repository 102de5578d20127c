using System.Buffers.Binary;
using System.Text;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>Builds safetensors bytes by hand, so tests can produce headers the writer would never emit.</summary>
internal static class RawFile
{
    public static byte[] Build(string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (var i = 0; i < dataBytes; i++) bytes[8 + header.Length + i] = (byte)i;
        return bytes;
    }

    public static string Write(TempDirectory dir, string fileName, byte[] bytes)
    {
        var path = dir.File(fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Asserts opening fails with a ModelFormatException naming the file and every given fragment.</summary>
    public static ModelFormatException AssertRefused(string path, params string[] mentions)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        foreach (var m in mentions) Assert.Contains(m, e.Message, StringComparison.Ordinal);
        return e;
    }

    /// <summary>A small valid file with two F32 tensors, one I64 and one F16, plus metadata.</summary>
    public static byte[] SmallValidFile(TempDirectory dir)
    {
        var writer = new SafeTensorsWriter(new Dictionary<string, string> { ["format"] = "pt" });
        writer.Add("transformer.a", TensorDType.F32, [2, 3], s => Fill(s, 1));
        writer.Add("b", TensorDType.F16, [4], s => Fill(s, 2));
        writer.Add("ids", TensorDType.I64, [3], s => Fill(s, 3));
        writer.Add("c", TensorDType.BF16, [2, 2], s => Fill(s, 4));
        var path = dir.File("valid.safetensors");
        writer.Write(path);
        return File.ReadAllBytes(path);
    }

    private static void Fill(Span<byte> s, int seed)
    {
        for (var i = 0; i < s.Length; i++) s[i] = (byte)(i * 7 + seed);
    }
}
