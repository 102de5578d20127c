namespace SplitCompute.Cuda.Backend;

/// <summary>The block tuning's switch for programmatic dependent launch of LayerNorm and attention in one shape's blocks.</summary>
internal sealed class DependentLaunchChoice(CudaWorkspace workspace, bool available) : ITunableChoice
{
    public string Label => "dependent launch";

    public int Count => available ? 2 : 1;  // one option (off) where the device or the options do not allow it

    public int Current
    {
        get => workspace.DependentLaunch ? 1 : 0;
        set
        {
            if (value < 0 || value >= Count) throw new ArgumentOutOfRangeException(nameof(value), $"{Label}: option {value} of {Count}");
            workspace.DependentLaunch = value == 1;
        }
    }

    public string OptionName(int option) => option == 1 ? "on" : "off";
}
