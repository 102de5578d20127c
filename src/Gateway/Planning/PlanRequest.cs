namespace SplitCompute.Gateway.Planning;

/// <summary>The size of one request: B sequences right-padded to T tokens, of which <see cref="Tokens"/> are real.</summary>
public readonly record struct PlanRequest(int Sequences, int PaddedLength, int Tokens)
{
    /// <summary>Rows every layer computes: B * T (padding is computed too).</summary>
    public int Rows => Sequences * PaddedLength;
}
