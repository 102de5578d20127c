namespace SplitCompute.Benchmarks;

/// <summary>A benchmark that prints its figures to standard output. Found by reflection, selected by <see cref="Name"/>.</summary>
internal interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    int Run(string[] args);
}
