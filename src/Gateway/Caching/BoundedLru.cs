namespace SplitCompute.Gateway.Caching;

/// <summary>
/// A dictionary that holds at most <paramref name="capacity"/> entries and drops the least recently used one to make room, so
/// no client, honest or not, can grow the gateway's memory by inventing ids. Thread-safe; every operation is O(1).
/// </summary>
internal sealed class BoundedLru<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _index = [];
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();  // most recently used first
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate) return _index.Count;
        }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(key, out var node))
            {
                value = default!;
                return false;
            }
            _order.Remove(node);
            _order.AddFirst(node);
            value = node.Value.Value;
            return true;
        }
    }

    /// <summary>Replaces the value under <paramref name="key"/> with <paramref name="update"/>(old or default, found) atomically.</summary>
    public TValue AddOrUpdate(TKey key, Func<TValue?, bool, TValue> update)
    {
        lock (_gate)
        {
            var found = _index.TryGetValue(key, out var node);
            var value = update(found ? node!.Value.Value : default, found);
            if (found)
            {
                _order.Remove(node!);
                node!.Value = (key, value);
                _order.AddFirst(node);
                return value;
            }
            if (_index.Count >= capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _index.Remove(last.Value.Key);
            }
            _index[key] = _order.AddFirst((key, value));
            return value;
        }
    }

    public void Set(TKey key, TValue value) => AddOrUpdate(key, (_, _) => value);

    public bool TryRemove(TKey key, out TValue value)
    {
        lock (_gate)
        {
            if (!_index.Remove(key, out var node))
            {
                value = default!;
                return false;
            }
            _order.Remove(node);
            value = node.Value.Value;
            return true;
        }
    }
}
