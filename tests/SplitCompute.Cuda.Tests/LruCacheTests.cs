using SplitCompute.Cuda.Backend;

namespace SplitCompute.Cuda.Tests;

/// <summary>The bounded cache that holds captured graphs: reuse, eviction order, disposal of what it drops.</summary>
public sealed class LruCacheTests
{
    private sealed class Counted(string name) : IDisposable
    {
        public string Name { get; } = name;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void A_cached_value_is_reused_and_the_least_recently_used_one_is_disposed_when_full()
    {
        var created = new List<Counted>();
        using var cache = new LruCache<int, Counted>(capacity: 2);
        Counted Make(int key)
        {
            var value = new Counted($"v{key}");
            created.Add(value);
            return value;
        }

        var one = cache.GetOrAdd(1, Make);
        cache.GetOrAdd(2, Make);
        Assert.Same(one, cache.GetOrAdd(1, Make));  // 1 is now the most recent
        cache.GetOrAdd(3, Make);                     // evicts 2

        Assert.Equal(["v1", "v2", "v3"], created.Select(c => c.Name));
        Assert.True(created[1].Disposed);
        Assert.False(one.Disposed);
        Assert.True(cache.Contains(1));
        Assert.False(cache.Contains(2));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Disposing_the_cache_disposes_every_value()
    {
        var cache = new LruCache<string, Counted>(capacity: 4);
        var a = cache.GetOrAdd("a", k => new Counted(k));
        var b = cache.GetOrAdd("b", k => new Counted(k));
        cache.Dispose();
        Assert.True(a.Disposed && b.Disposed);
        Assert.Equal(0, cache.Count);
    }
}
