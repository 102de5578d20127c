using System.Buffers;
using System.Text.Json;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Frames;

/// <summary>The frame's JSON header: written with Utf8JsonWriter, read with JsonDocument so each error can name its field.</summary>
internal static class FrameHeaderCodec
{
    /// <summary>root -> manifest -> shards -> entry -> tensors is 5; anything deeper is not a frame header.</summary>
    private const int MaxDepth = 16;

    /// <summary>The header JSON, padded with spaces so (prefix + header) is a multiple of 8.</summary>
    public static byte[] Encode(HiddenStateFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", FrameFormat.ToWire(frame.Kind));
            json.WriteString("model", frame.Model);
            json.WriteString("revision", frame.Revision);
            json.WriteNumber("k", frame.LayersDone);
            json.WriteNumber("n", frame.LayerCount);
            json.WriteString("dtype", FrameFormat.ToWire(frame.DType));
            json.WriteStartArray("shape");
            foreach (var d in frame.Shape) json.WriteNumberValue(d);
            json.WriteEndArray();
            json.WriteStartArray("lengths");
            foreach (var l in frame.Lengths) json.WriteNumberValue(l);
            json.WriteEndArray();
            json.WriteString("pooling", FrameFormat.ToWire(frame.Pooling));
            if (frame.PoolFrom > 0) json.WriteNumber("pool_from", frame.PoolFrom);
            if (frame.RequestId is not null) json.WriteString("request_id", frame.RequestId);
            if (frame.Manifest is not null)
            {
                json.WritePropertyName("manifest");
                JsonSerializer.Serialize(json, frame.Manifest, ManifestJsonContext.Default.ShardManifest);
            }
            json.WriteEndObject();
        }
        var padded = (buffer.WrittenCount + FrameFormat.Alignment - 1) / FrameFormat.Alignment * FrameFormat.Alignment;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>Parses and checks the header; <paramref name="offset"/> is where it starts in the frame (for messages).</summary>
    public static FrameHeader Decode(ReadOnlySpan<byte> header, long offset, FrameLimits limits)
    {
        // JsonDocument defers UTF-8 validation of string contents; check once up front.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new ProtocolException("header is not valid UTF-8", "header", offset);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            // Writers emit the header on one line, so the in-line position is the offset within the header.
            var at = e.LineNumber == 0 && e.BytePositionInLine is long p ? offset + p : offset;
            throw new ProtocolException($"header is not valid JSON: {e.Message}", "header", at, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("header", $"expected a JSON object, found {root.ValueKind}", offset);

            var kind = Enum(root, "kind", offset, ("hidden", FrameKind.Hidden), ("embeddings", FrameKind.Embeddings));
            var model = String(root, "model", offset);
            var revision = String(root, "revision", offset);
            var k = Int(root, "k", offset);
            var n = Int(root, "n", offset);
            if (n > limits.MaxLayers) throw Bad("n", $"expected at most {limits.MaxLayers} (limit), found {n}", offset);
            var dtype = Enum(root, "dtype", offset, ("f32", FrameDType.F32), ("f16", FrameDType.F16));
            var shape = IntArray(root, "shape", offset, 3);
            var lengths = IntArray(root, "lengths", offset, limits.MaxBatchSize);
            var pooling = root.TryGetProperty("pooling", out _)
                ? Enum(root, "pooling", offset, ("mean", FramePooling.Mean), ("last", FramePooling.Last), ("cls", FramePooling.Cls), ("max", FramePooling.Max))
                : FramePooling.Mean;
            var poolFrom = root.TryGetProperty("pool_from", out _) ? Int(root, "pool_from", offset) : 0;
            string? requestId = root.TryGetProperty("request_id", out _) ? String(root, "request_id", offset) : null;
            if (root.TryGetProperty("mask", out _))
                throw Bad("mask", "explicit masks are not supported in version 1: sequences are right-padded and described by \"lengths\"", offset);

            CheckLimits(kind, shape, limits, offset);

            ShardManifest? manifest = null;
            if (root.TryGetProperty("manifest", out var m))
            {
                try
                {
                    manifest = ShardManifest.FromJson(m);
                }
                catch (ProtocolException e)
                {
                    var field = e.Field is null or "manifest" ? "manifest" : "manifest." + e.Field;
                    throw new ProtocolException(e.Detail, field, offset, e);
                }
            }

            if (FrameConsistency.Check(kind, model, revision, k, n, shape, lengths, manifest, requestId, limits.MaxSequenceLength, poolFrom) is var (f, message))
                throw Bad(f, message, offset);

            var parsed = new FrameHeader(kind, model, revision, k, n, dtype, shape, lengths, pooling, requestId, manifest, poolFrom);
            if (parsed.PayloadBytes > limits.MaxPayloadBytes || parsed.ElementCount > Array.MaxLength)
                throw Bad("shape", $"payload of {string.Join("*", shape)} {FrameFormat.ToWire(dtype)} is {parsed.PayloadBytes} bytes, over the {limits.MaxPayloadBytes}-byte limit", offset);
            return parsed;
        }
    }

    private static void CheckLimits(FrameKind kind, int[] shape, FrameLimits limits, long offset)
    {
        if (shape.Length < 1) return; // rank errors are reported by FrameConsistency
        if (shape[0] > limits.MaxBatchSize) throw Bad("shape[0]", $"B = {shape[0]} is over the limit of {limits.MaxBatchSize}", offset);
        if (kind == FrameKind.Hidden && shape.Length > 1 && shape[1] > limits.MaxSequenceLength)
            throw Bad("shape[1]", $"T = {shape[1]} is over the limit of {limits.MaxSequenceLength}", offset);
        if (shape[^1] > limits.MaxChannels) throw Bad($"shape[{shape.Length - 1}]", $"C = {shape[^1]} is over the limit of {limits.MaxChannels}", offset);
    }

    private static JsonElement Required(JsonElement root, string name, long offset) =>
        root.TryGetProperty(name, out var value) ? value : throw Bad(name, "required field is missing", offset);

    private static string String(JsonElement root, string name, long offset)
    {
        var value = Required(root, name, offset);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Bad(name, $"expected a string, found {value.ValueKind}", offset);
    }

    private static int Int(JsonElement root, string name, long offset)
    {
        var value = Required(root, name, offset);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i)
            ? i
            : throw Bad(name, $"expected a 32-bit integer, found {Describe(value)}", offset);
    }

    private static int[] IntArray(JsonElement root, string name, long offset, int maxCount)
    {
        var value = Required(root, name, offset);
        if (value.ValueKind != JsonValueKind.Array) throw Bad(name, $"expected an array of integers, found {value.ValueKind}", offset);
        var count = value.GetArrayLength();
        if (count > maxCount) throw Bad(name, $"expected at most {maxCount} entries, found {count}", offset);
        var result = new int[count];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out result[i]))
                throw Bad($"{name}[{i}]", $"expected a 32-bit integer, found {Describe(item)}", offset);
            i++;
        }
        return result;
    }

    private static T Enum<T>(JsonElement root, string name, long offset, params (string Wire, T Value)[] choices)
    {
        var text = String(root, name, offset);
        foreach (var (wire, v) in choices)
        {
            if (text == wire) return v;
        }
        throw Bad(name, $"expected {string.Join(" or ", choices.Select(c => $"\"{c.Wire}\""))}, found {PrintableAscii.Quote(text)}", offset);
    }

    private static string Describe(JsonElement value) =>
        value.ValueKind is JsonValueKind.Number or JsonValueKind.String ? PrintableAscii.Quote(value.GetRawText(), 32) : value.ValueKind.ToString();

    private static ProtocolException Bad(string field, string message, long offset) => new(message, field, offset);
}
