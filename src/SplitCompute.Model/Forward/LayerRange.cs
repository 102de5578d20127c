using SplitCompute.Model.Config;

namespace SplitCompute.Model.Forward;

/// <summary>Argument checks shared by every backend, so each one refuses a bad range with the same message.</summary>
public static class LayerRange
{
    public static void Validate(Gpt2Config config, HiddenState hidden, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(hidden);
        if (from < 0 || to > config.NLayer || from > to)
            throw new ArgumentOutOfRangeException(nameof(to), $"layer range [{from}, {to}) is outside [0, {config.NLayer}]");
        if (hidden.LayersDone != from)
            throw new ArgumentException($"the hidden state has {hidden.LayersDone} layers applied, but the range starts at {from}", nameof(hidden));
        if (hidden.Channels != config.NEmbd)
            throw new ArgumentException($"the hidden state has C = {hidden.Channels}, the model has n_embd = {config.NEmbd}", nameof(hidden));
    }

    public static void ValidateBatch(Gpt2Config config, TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.SequenceLength > config.NPositions)
            throw new ArgumentException($"sequence length {batch.SequenceLength} exceeds the model's n_positions = {config.NPositions}", nameof(batch));
        var ids = batch.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {ids[i]} (sequence {i / batch.SequenceLength}, position {i % batch.SequenceLength}) is outside the vocabulary [0, {config.VocabSize})");
        }
    }
}
