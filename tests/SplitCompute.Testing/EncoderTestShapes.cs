using SplitCompute.Model.Encoders;

namespace SplitCompute.Testing;

/// <summary>
/// Encoder shapes the backends are checked on besides the served presets: "odd-inner" (C = 96, 3 heads of 32, I = 200: not 4C)
/// and "roberta-tiny" (RoBERTa's positions, offset by the padding index); any other name is a preset.
/// </summary>
public static class EncoderTestShapes
{
    public static EncoderPreset Preset(string name)
    {
        var tiny = EncoderPreset.ByName("bert-tiny");
        return name switch
        {
            "odd-inner" => tiny with { Name = name, Config = tiny.Config with { HiddenSize = 96, NumHeads = 3, IntermediateSize = 200 } },
            "roberta-tiny" => tiny with { Name = name, Config = tiny.Config with { ModelType = "roberta", MaxPositions = 514, PadTokenId = 1, TypeVocabSize = 1, LayerNormEpsilon = 1e-5f } },
            _ => EncoderPreset.ByName(name),
        };
    }
}
