namespace SplitCompute.Model.Forward;

/// <summary>
/// What the code around a backend needs to know of its model, whatever the family (GPT-2's decoder, a BERT-family encoder): N
/// layers of C channels and H heads, at most Positions tokens per sequence, ids below VocabSize, and whether attention is causal.
/// </summary>
public sealed record LayerStackShape(int Layers, int Channels, int Heads, int Positions, int VocabSize, bool Causal);
