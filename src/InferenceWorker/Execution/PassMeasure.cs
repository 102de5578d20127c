namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// What one forward pass measured, for the worker's EWMAs: embedding time over its real tokens, and block time over the
/// layer-rows it really computed (sum over stages of rows still active x layers in the stage).
/// </summary>
public readonly record struct PassMeasure(double EmbedMs, long Tokens, double LayersMs, long LayerRows);
