namespace SplitCompute.Cuda.Backend;

/// <summary>
/// A bounded map that disposes the least recently used value when full. Not thread-safe: the backend uses it under its lock.
/// Keeps executable graphs bounded: a worker sees many (shape, k) pairs over its life, each graph holds driver memory.
/// </summary>
public sealed class LruCache<TKey, TValue> : IDisposable where TKey : notnull where TValue : IDisposable
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = [];
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();  // most recent first

    public LruCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _map.Count;

    /// <summary>The cached value, or a new one from <paramref name="create"/> (which may evict the oldest).</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Value;
        }
        var value = create(key);
        if (_map.Count >= Capacity)
        {
            var oldest = _order.Last!;
            _order.RemoveLast();
            _map.Remove(oldest.Value.Key);
            oldest.Value.Value.Dispose();
        }
        _map[key] = _order.AddFirst((key, value));
        return value;
    }

    public bool Contains(TKey key) => _map.ContainsKey(key);

    public void Dispose()
    {
        foreach (var (_, value) in _order) value.Dispose();
        _order.Clear();
        _map.Clear();
    }
}
