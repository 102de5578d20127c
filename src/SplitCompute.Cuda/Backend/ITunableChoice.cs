namespace SplitCompute.Cuda.Backend;

/// <summary>A setting the block tuning may change: one of <see cref="Count"/> options, <see cref="Current"/> in force.</summary>
internal interface ITunableChoice
{
    string Label { get; }
    int Count { get; }
    int Current { get; set; }
    string OptionName(int option);
}
