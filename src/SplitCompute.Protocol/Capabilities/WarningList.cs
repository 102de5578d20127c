namespace SplitCompute.Protocol.Capabilities;

/// <summary>Collects warnings up to <see cref="CapabilityBounds.MaxWarnings"/>, so a hostile header cannot make the response header list unbounded.</summary>
internal sealed class WarningList
{
    private readonly List<string> _items = [];
    private int _dropped;

    public void Add(string warning)
    {
        if (_items.Count < CapabilityBounds.MaxWarnings) _items.Add(warning);
        else _dropped++;
    }

    public IReadOnlyList<string> ToList()
    {
        var result = new List<string>(_items);
        if (_dropped > 0) result.Add($"{_dropped} more warnings not shown");
        return result;
    }
}
