using System.Collections.Concurrent;

namespace SplitCompute.Tokenization;

/// <summary>
/// Thread-safe word to token ids cache. Natural text repeats a small set of words, so most pre-tokenized words skip
/// BPE entirely. Lookups take a span (no string is allocated on a hit). The size is bounded: when the entry count
/// reaches the capacity the cache is emptied and refills with the words now in use, which keeps memory flat on
/// unbounded input (e.g. random identifiers) at the cost of a burst of misses.
/// </summary>
internal sealed class WordTokenCache
{
    private readonly ConcurrentDictionary<string, int[]> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> spanLookup;
    private int count;

    public WordTokenCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        spanLookup = entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    /// <summary>The number of cached words (approximate while other threads add).</summary>
    public int Count => Volatile.Read(ref count);

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => spanLookup.TryGetValue(word, out ids!);

    public void Add(ReadOnlySpan<char> word, int[] ids)
    {
        if (!spanLookup.TryAdd(word, ids)) return;
        if (Interlocked.Increment(ref count) >= Capacity) Clear();
    }

    public void Clear()
    {
        // Racing adders may slip an entry in between these two lines; the count then lags by a few, which only
        // moves the next reset slightly later. The bound holds up to the number of concurrent writers.
        entries.Clear();
        Volatile.Write(ref count, 0);
    }
}
