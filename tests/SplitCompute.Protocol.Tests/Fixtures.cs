using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Tests;

/// <summary>Valid manifests and frames to start from, and raw frame assembly for malformed cases.</summary>
internal static class Fixtures
{
    public const string Model = "gpt2";
    public const string Revision = "sha256:0f1e2d3c";

    public static string Hash(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    public static ShardEntry LayerEntry(int layer) => new()
    {
        Kind = ShardKinds.Layer,
        Layer = layer,
        Url = $"/v1/shards/{Hash($"layer{layer}")}",
        Sha256 = Hash($"layer{layer}"),
        Bytes = 28_351_488 + layer,
        DType = ShardDTypes.F32,
        Tensors = [$"h.{layer}.ln_1.weight", $"h.{layer}.ln_1.bias", $"h.{layer}.attn.c_attn.weight"],
    };

    public static ShardManifest Manifest(int n = 4, int c = 8, int from = 0, int? to = null) => new()
    {
        Model = Model,
        Revision = Revision,
        NLayer = n,
        NEmbd = c,
        NHead = c % 2 == 0 ? 2 : 1,
        DType = ShardDTypes.F32,
        LayerNormEpsilon = 1e-5,
        Shards = Enumerable.Range(from, (to ?? n) - from).Select(LayerEntry).ToArray(),
        FinalNorm = new ShardEntry
        {
            Kind = ShardKinds.FinalNorm,
            Url = $"/v1/shards/{Hash("ln_f")}",
            Sha256 = Hash("ln_f"),
            Bytes = 6_144,
            DType = ShardDTypes.F32,
            Tensors = ["ln_f.weight", "ln_f.bias"],
        },
    };

    public static float[] Values(int count, int seed, float scale = 4f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();
    }

    /// <summary>B=2, T=3, C=8 after 1 of 4 layers.</summary>
    public static HiddenStateFrame SmallHidden(FrameDType dtype = FrameDType.F32) =>
        HiddenStateFrame.Hidden(Model, Revision, 1, 4, 2, 3, 8, [3, 2], Values(2 * 3 * 8, 1), Manifest(4, 8, 1), dtype, "req-1");

    /// <summary>Assembles prefix + (padded) header + payload with no checks, for malformed frames.</summary>
    public static byte[] Raw(string headerJson, ReadOnlySpan<byte> payload, uint version = 1, ulong? headerLength = null, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var padded = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var bytes = new byte[16 + padded + payload.Length];
        "SCHF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), headerLength ?? (ulong)padded);
        header.CopyTo(bytes, 16);
        bytes.AsSpan(16 + header.Length, padded - header.Length).Fill((byte)' ');
        payload.CopyTo(bytes.AsSpan(16 + padded));
        return bytes;
    }

    /// <summary>The header of <paramref name="frame"/> as an editable JSON object, and its payload bytes.</summary>
    public static (JsonObject Header, byte[] Payload) Split(byte[] frame)
    {
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8));
        var header = (JsonObject)JsonNode.Parse(frame.AsSpan(16, length))!;
        return (header, frame[(16 + length)..]);
    }

    /// <summary>A valid small frame with its header edited by <paramref name="edit"/>.</summary>
    public static byte[] Edited(Action<JsonObject> edit, HiddenStateFrame? frame = null)
    {
        var (header, payload) = Split(FrameWriter.ToArray(frame ?? SmallHidden()));
        edit(header);
        return Raw(header.ToJsonString(), payload);
    }
}
