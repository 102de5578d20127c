namespace SplitCompute.Model.Cpu;

/// <summary>OpenBLAS loaded but computed wrong products with every kernel set tried; the message says which and what to set.</summary>
public sealed class OpenBlasUnusableException(string message) : Exception(message);
