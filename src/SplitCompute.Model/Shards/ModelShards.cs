using SplitCompute.Model.Encoders;

namespace SplitCompute.Model.Shards;

/// <summary>The shards of whichever family a model directory holds: GPT-2's (<see cref="ShardBuilder"/>) or an encoder's (<see cref="EncoderShardBuilder"/>).</summary>
public static class ModelShards
{
    public static ShardIndex Ensure(string modelDirectory, string shardDirectory) =>
        BertConfig.IsEncoderDirectory(modelDirectory)
            ? EncoderShardBuilder.EnsureShards(modelDirectory, shardDirectory)
            : ShardBuilder.EnsureShards(modelDirectory, shardDirectory);
}
