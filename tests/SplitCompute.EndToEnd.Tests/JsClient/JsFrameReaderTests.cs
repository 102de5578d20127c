using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client's frame reader (clients/js/src/frame.js, issue 24) against the C# one on the same bytes: frames the C#
/// writer made (f32 and f16, hidden with a manifest and pool_from, finished embeddings) read alike, and every malformed variant
/// is refused by both, naming the same field.
/// </summary>
public sealed class JsFrameReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Malformations { get; } = ["magic", "version", "truncated", "trailing", "nan", "duplicate", "mask", "pool_from", "manifest", "header_length", "utf8", "lengths"];

    [SkippableFact]
    public async Task Frames_the_CSharp_writer_made_read_alike()
    {
        float[] values = [.. Enumerable.Range(0, 2 * 3 * 8).Select(i => (float)Math.Sin(i) * 3)];
        var frames = new[]
        {
            HiddenStateFrame.Hidden("gpt2", "sha256:0f1e", 1, 4, 2, 3, 8, [3, 2], values, Manifest("gpt2", "sha256:0f1e", 4, 8, 1), requestId: "req-1"),
            HiddenStateFrame.Hidden("bge", "r2", 2, 4, 2, 3, 8, [3, 2], values, Manifest("bge", "r2", 4, 8, 2), FrameDType.F16, pooling: FramePooling.Cls, poolFrom: 1),
            HiddenStateFrame.Embeddings("gpt2", "r3", 4, 2, 8, [5, 1], [.. values.Take(16)], FramePooling.Max),
        };
        var paths = frames.Select((f, i) => Write($"ok{i}.bin", FrameWriter.ToArray(f))).ToArray();

        var lines = JsClientNode.Lines(await JsClientNode.RunAsync(["test/read-frames.mjs", .. paths]));

        Assert.Equal(frames.Length, lines.Length);
        foreach (var (frame, line) in frames.Zip(lines))
        {
            var read = FrameReader.Read(File.ReadAllBytes(paths[Array.IndexOf(frames, frame)]));
            Assert.True(line.GetProperty("ok").GetBoolean(), line.ToString());
            Assert.Equal(read.Kind == FrameKind.Hidden ? "hidden" : "embeddings", line.GetProperty("kind").GetString());
            Assert.Equal(read.Model, line.GetProperty("model").GetString());
            Assert.Equal(read.LayersDone, line.GetProperty("k").GetInt32());
            Assert.Equal(read.Shape, line.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(read.Lengths, line.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(read.Pooling.ToString().ToLowerInvariant(), line.GetProperty("pooling").GetString());
            Assert.Equal(read.PoolFrom, line.GetProperty("poolFrom").GetInt32());
            Assert.Equal(read.Manifest?.Shards.Count, line.GetProperty("shards").ValueKind == JsonValueKind.Null ? null : line.GetProperty("shards").GetInt32());
            // The payload as C# decoded it (f16 widened the same way): equal sums, first and last values.
            Assert.Equal(read.Data.Length, line.GetProperty("count").GetInt32());
            Assert.Equal(read.Data.Sum(v => (double)v), line.GetProperty("sum").GetDouble(), 1e-9);
            Assert.Equal(read.Data[0], line.GetProperty("first").GetSingle());
            Assert.Equal(read.Data[^1], line.GetProperty("last").GetSingle());
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Malformations))]
    public async Task A_malformed_frame_is_refused_by_both_readers_naming_the_same_field(string how)
    {
        var bytes = Malformed(how);
        var csharp = Assert.Throws<ProtocolException>(() => FrameReader.Read(bytes));

        var line = Assert.Single(JsClientNode.Lines(await JsClientNode.RunAsync(["test/read-frames.mjs", Write($"{how}.bin", bytes)])));

        Assert.False(line.GetProperty("ok").GetBoolean(), $"{how}: the JavaScript reader accepted what C# refused ({csharp.Message})");
        Assert.Equal(csharp.Field, line.GetProperty("field").GetString());
    }

    private static byte[] Malformed(string how)
    {
        var frame = HiddenStateFrame.Hidden("gpt2", "r1", 1, 4, 2, 3, 8, [3, 2], [.. Enumerable.Range(0, 48).Select(i => i * 0.25f)], Manifest("gpt2", "r1", 4, 8, 1));
        var bytes = FrameWriter.ToArray(frame);
        var h = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        var header = Encoding.UTF8.GetString(bytes, 16, h).TrimEnd();
        byte[] WithHeader(string json)
        {
            var padded = (json.Length + 7) / 8 * 8;
            var result = new byte[16 + padded + (bytes.Length - 16 - h)];
            bytes.AsSpan(0, 16).CopyTo(result);
            BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(8), (ulong)padded);
            Encoding.UTF8.GetBytes(json.PadRight(padded)).CopyTo(result, 16);
            bytes.AsSpan(16 + h).CopyTo(result.AsSpan(16 + padded));
            return result;
        }
        switch (how)
        {
            case "magic": bytes[0] = (byte)'X'; return bytes;
            case "version": bytes[4] = 2; return bytes;
            case "truncated": return bytes[..^4];
            case "trailing": return [.. bytes, 0, 0, 0, 0];
            case "nan": BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(16 + h + 20), float.NaN); return bytes;
            case "duplicate": return WithHeader(header.Replace("\"k\":1,", "\"k\":1,\"k\":1,", StringComparison.Ordinal));
            case "mask": return WithHeader(header.Replace("\"k\":1,", "\"mask\":[[1]],\"k\":1,", StringComparison.Ordinal));
            case "pool_from": return WithHeader(header.Replace("\"k\":1,", "\"pool_from\":2,\"k\":1,", StringComparison.Ordinal));
            case "manifest": return WithHeader(header.Replace("\"k\":1,", "\"k\":2,", StringComparison.Ordinal));
            case "header_length": BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), (ulong)h + 3); return bytes;
            case "utf8": bytes[16 + 2] = 0xFF; return bytes;
            case "lengths": return WithHeader(header.Replace("\"lengths\":[3,2]", "\"lengths\":[3,4]", StringComparison.Ordinal));
            default: throw new ArgumentException(how, nameof(how));
        }
    }

    private static ShardManifest Manifest(string model, string revision, int n, int c, int from) => new()
    {
        Model = model, Revision = revision, NLayer = n, NEmbd = c, NHead = 2, DType = ShardDTypes.F32, LayerNormEpsilon = 1e-5,
        Shards = [.. Enumerable.Range(from, n - from).Select(l => Entry(ShardKinds.Layer, l, [$"h.{l}.ln_1.weight"]))],
        FinalNorm = Entry(ShardKinds.FinalNorm, null, ["ln_f.weight", "ln_f.bias"]),
    };

    private static ShardEntry Entry(string kind, int? layer, string[] tensors)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}{layer}")));
        return new ShardEntry { Kind = kind, Layer = layer, Url = $"/v1/shards/{hash}", Sha256 = hash, Bytes = 1024, DType = ShardDTypes.F32, Tensors = tensors };
    }

    private string Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(_dir.File(name), bytes);
        return _dir.File(name);
    }

    public void Dispose() => _dir.Dispose();
}
