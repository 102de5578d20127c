using System.Buffers;

namespace SplitCompute.Tokenization;

/// <summary>
/// Growable id buffer on pooled arrays: an encode allocates only its exact-size result, not the intermediate
/// arrays a List would leave behind while growing. Pass by ref; call <see cref="Dispose"/> to return the array.
/// </summary>
internal struct TokenBuffer : IDisposable
{
    private int[] items;
    private int count;

    public TokenBuffer(int initialCapacity)
    {
        items = ArrayPool<int>.Shared.Rent(Math.Max(initialCapacity, 16));
        count = 0;
    }

    public void Add(ReadOnlySpan<int> ids)
    {
        if (count + ids.Length > items.Length) Grow(count + ids.Length);
        ids.CopyTo(items.AsSpan(count));
        count += ids.Length;
    }

    public readonly int[] ToArray() => items.AsSpan(0, count).ToArray();

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(items);
        items = [];
        count = 0;
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<int>.Shared.Rent(Math.Max(needed, items.Length * 2));
        items.AsSpan(0, count).CopyTo(larger);
        ArrayPool<int>.Shared.Return(items);
        items = larger;
    }
}
