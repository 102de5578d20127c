using System.Buffers;
using System.Runtime.CompilerServices;

namespace SplitCompute.Tokenization;

/// <summary>
/// Applies the ranked merges of merges.txt to one pre-tokenized word, working on token ids rather than strings so
/// the inner loop is a dictionary probe on a 64-bit pair key and no string is built.
/// </summary>
/// <remarks>
/// Both strategies merge the lowest-ranked adjacent pair, leftmost first, one at a time. For merge files produced
/// by BPE training (a merged token only appears in later-ranked pairs) this gives the same tokens as encoder.py,
/// which merges every occurrence of the best pair per pass; the two strategies agree with each other for any file.
/// </remarks>
internal sealed class BytePairMerger
{
    /// <summary>Words up to this many bytes use the quadratic scan; longer ones the heap, so adversarial input stays O(n log n).</summary>
    public const int ScanLimit = 128;

    private const int NoMerge = int.MaxValue;

    private readonly Dictionary<long, int> rankByPair;
    private readonly int[] mergedIdByRank;
    private readonly int[] byteTokenIds;

    /// <param name="byteTokenIds">The id of the single-character token of each of the 256 bytes.</param>
    /// <param name="merges">(left id, right id, merged id) in rank order; a repeated pair keeps its first rank.</param>
    public BytePairMerger(int[] byteTokenIds, IReadOnlyList<(int Left, int Right, int Merged)> merges)
    {
        this.byteTokenIds = byteTokenIds;
        rankByPair = new Dictionary<long, int>(merges.Count, PairKeyComparer.Instance);
        mergedIdByRank = new int[merges.Count];
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, merged) = merges[rank];
            rankByPair.TryAdd(Key(left, right), rank);
            mergedIdByRank[rank] = merged;
        }
    }

    public int MergeCount => mergedIdByRank.Length;

    /// <summary>Tokenizes the UTF-8 bytes of one word into <paramref name="ids"/> (at least as long as the bytes); returns the token count.</summary>
    public int Encode(ReadOnlySpan<byte> utf8, Span<int> ids)
    {
        SpellBytes(utf8, ids);
        var word = ids[..utf8.Length];
        return utf8.Length <= ScanLimit ? MergeByScan(word) : MergeByHeap(word);
    }

    /// <summary>The unmerged tokens: one single-byte token per byte.</summary>
    internal void SpellBytes(ReadOnlySpan<byte> utf8, Span<int> ids)
    {
        for (var i = 0; i < utf8.Length; i++) ids[i] = byteTokenIds[utf8[i]];
    }

    /// <summary>Short words: keep the rank of every adjacent pair in an array, scan for the minimum, splice in place.</summary>
    [SkipLocalsInit]
    internal int MergeByScan(Span<int> ids)
    {
        var n = ids.Length;
        if (n < 2) return n;

        Span<int> ranks = n <= ScanLimit ? stackalloc int[ScanLimit] : new int[n];
        for (var i = 0; i < n - 1; i++) ranks[i] = Rank(ids[i], ids[i + 1]);

        while (n > 1)
        {
            var best = 0;
            for (var i = 1; i < n - 1; i++)
            {
                if (ranks[i] < ranks[best]) best = i;
            }
            var rank = ranks[best];
            if (rank == NoMerge) break;

            ids[best] = mergedIdByRank[rank];
            ids[(best + 2)..n].CopyTo(ids[(best + 1)..]);
            if (best + 2 < n - 1) ranks[(best + 2)..(n - 1)].CopyTo(ranks[(best + 1)..]);
            n--;
            if (best > 0) ranks[best - 1] = Rank(ids[best - 1], ids[best]);
            if (best < n - 1) ranks[best] = Rank(ids[best], ids[best + 1]);
        }
        return n;
    }

    /// <summary>
    /// Long words: a doubly linked list of symbols and a priority queue of (rank, position) candidates. Entries made
    /// stale by an earlier merge are recognised on pop because the pair now at that position has another rank.
    /// </summary>
    internal int MergeByHeap(Span<int> ids)
    {
        var n = ids.Length;
        if (n < 2) return n;

        var next = ArrayPool<int>.Shared.Rent(n);
        var prev = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var queue = new PriorityQueue<int, long>(n);
            for (var i = 0; i < n; i++)
            {
                next[i] = i + 1 < n ? i + 1 : -1;
                prev[i] = i - 1;
                if (i + 1 < n) Enqueue(queue, ids, i, i + 1);
            }

            while (queue.TryDequeue(out var pos, out var priority))
            {
                var right = next[pos];
                if (ids[pos] < 0 || right < 0) continue;
                var rank = (int)(priority >> 32);
                if (Rank(ids[pos], ids[right]) != rank) continue;

                ids[pos] = mergedIdByRank[rank];
                ids[right] = -1;
                next[pos] = next[right];
                if (next[pos] >= 0) prev[next[pos]] = pos;

                if (prev[pos] >= 0) Enqueue(queue, ids, prev[pos], pos);
                if (next[pos] >= 0) Enqueue(queue, ids, pos, next[pos]);
            }

            var count = 0;
            for (var i = 0; i >= 0; i = next[i]) ids[count++] = ids[i];
            return count;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
        }
    }

    private void Enqueue(PriorityQueue<int, long> queue, Span<int> ids, int left, int right)
    {
        var rank = Rank(ids[left], ids[right]);
        // Rank in the high half, position in the low half: equal ranks pop leftmost first.
        if (rank != NoMerge) queue.Enqueue(left, ((long)rank << 32) | (uint)left);
    }

    private int Rank(int left, int right) => rankByPair.TryGetValue(Key(left, right), out var rank) ? rank : NoMerge;

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>
    /// long.GetHashCode is high ^ low, so pairs of small ids (all below 2^16) crowd into few buckets and (a, b)
    /// collides with (b, a). A multiplicative (Fibonacci) hash spreads them.
    /// </summary>
    private sealed class PairKeyComparer : IEqualityComparer<long>
    {
        public static readonly PairKeyComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
