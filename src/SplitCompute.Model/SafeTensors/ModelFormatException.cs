namespace SplitCompute.Model.SafeTensors;

/// <summary>
/// A model file or directory cannot be used: malformed, truncated, inconsistent or of an unsupported kind.
/// One exception type so callers can report "this model cannot be loaded" without knowing every failure mode;
/// the message always names the file (and the tensor or key) so the user can find the problem.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
