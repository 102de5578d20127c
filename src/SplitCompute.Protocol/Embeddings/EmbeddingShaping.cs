namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// What a request asks of a finished, pooled embedding: Matryoshka truncation to <c>dimensions</c> (then unit length, as such
/// models are used) and <c>normalize</c>. Applied by whoever produces the caller's answer (worker JSON, edge result), so a
/// split and a cloud answer agree.
/// </summary>
public sealed record EmbeddingShaping(int? Dimensions, bool Normalize)
{
    public static EmbeddingShaping None { get; } = new(null, false);

    /// <summary>
    /// The shaping <paramref name="request"/> asks of a model <paramref name="width"/> wide that supports the listed Matryoshka
    /// <paramref name="supportedDimensions"/> and normalises by default or not; a <see cref="ProtocolException"/> on
    /// <c>dimensions</c> naming what the model supports when it cannot be honoured (never silently ignored).
    /// </summary>
    public static EmbeddingShaping For(EmbeddingRequest request, int width, IReadOnlyList<int>? supportedDimensions, bool normalizeByDefault)
    {
        ArgumentNullException.ThrowIfNull(request);
        var normalize = request.Normalize ?? normalizeByDefault;
        if (request.Dimensions is not { } dimensions || dimensions == width) return new EmbeddingShaping(null, normalize);
        var supported = supportedDimensions ?? [];
        if (!supported.Contains(dimensions))
        {
            throw new ProtocolException(supported.Count == 0
                ? $"{dimensions} is not supported: this model declares no Matryoshka dimensions, so only its full width {width} can be asked for"
                : $"{dimensions} is not supported: this model supports {string.Join(", ", supported.Append(width).Distinct().OrderDescending())}", "dimensions");
        }
        return new EmbeddingShaping(dimensions, true);
    }

    /// <summary>The <see cref="HeaderNames.Shaping"/> value: <c>normalize=false</c>, or <c>dimensions=32; normalize=true</c>.</summary>
    public string ToHeader() => Dimensions is { } d
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"dimensions={d}; normalize={(Normalize ? "true" : "false")}")
        : Normalize ? "normalize=true" : "normalize=false";

    /// <summary>Parses <see cref="ToHeader"/>'s form; false (and null) for anything else, naming nothing it does not know.</summary>
    public static bool TryParse(string? header, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EmbeddingShaping? shaping)
    {
        shaping = null;
        if (string.IsNullOrWhiteSpace(header)) return false;
        int? dimensions = null;
        bool? normalize = null;
        foreach (var part in header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return false;
            var (name, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            switch (name)
            {
                case "dimensions" when dimensions is null && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0:
                    dimensions = d;
                    break;
                case "normalize" when normalize is null && value is "true" or "false":
                    normalize = value == "true";
                    break;
                default:
                    return false;
            }
        }
        if (normalize is null) return false;
        shaping = new EmbeddingShaping(dimensions, normalize.Value);
        return true;
    }

    public float[] Apply(float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        var result = Dimensions is { } d && d < embedding.Length ? embedding[..d] : embedding;
        if (!Normalize) return result;
        if (ReferenceEquals(result, embedding)) result = (float[])embedding.Clone();
        double sum = 0;
        foreach (var v in result) sum += (double)v * v;
        if (sum == 0) return result;
        var scale = (float)(1 / Math.Sqrt(sum));
        for (var i = 0; i < result.Length; i++) result[i] *= scale;
        return result;
    }

    public IReadOnlyList<float[]> Apply(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Dimensions is null && !Normalize ? embeddings : [.. embeddings.Select(Apply)];
    }
}
