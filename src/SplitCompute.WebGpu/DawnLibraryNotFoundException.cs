namespace SplitCompute.WebGpu;

/// <summary>Dawn's shared library could not be found or loaded; <see cref="Tried"/> lists the paths in lookup order.</summary>
public sealed class DawnLibraryNotFoundException : WebGpuException
{
    public DawnLibraryNotFoundException(string message, IReadOnlyList<string> tried) : base(message) => Tried = tried;

    public DawnLibraryNotFoundException() { }

    public DawnLibraryNotFoundException(string message) : base(message) { }

    public DawnLibraryNotFoundException(string message, Exception inner) : base(message, inner) { }

    public IReadOnlyList<string> Tried { get; } = [];
}
