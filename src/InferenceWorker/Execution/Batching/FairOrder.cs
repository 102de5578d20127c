namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// The order in which waiting requests are offered to the next pass: round-robin across tenants (one request of each in turn,
/// each tenant's own in arrival order), tenants least recently served first (a tenant never served, or back after a pause,
/// comes before one served in the last pass). So a tenant with a long queue fills only what others leave of the budget, and a
/// request of another tenant waits at most for the pass running when it arrived.
/// </summary>
public static class FairOrder
{
    /// <summary>Indices into <paramref name="tenants"/> (one per waiting request, arrival order) in the order to offer them.</summary>
    public static int[] Of(IReadOnlyList<string> tenants, IReadOnlyDictionary<string, long> lastServed)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(lastServed);
        if (tenants.Count <= 1) return [.. Enumerable.Range(0, tenants.Count)];
        var queues = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        var firstSeen = new List<string>();
        for (var i = 0; i < tenants.Count; i++)
        {
            if (!queues.TryGetValue(tenants[i], out var queue))
            {
                queues[tenants[i]] = queue = new Queue<int>();
                firstSeen.Add(tenants[i]);
            }
            queue.Enqueue(i);
        }
        // Stable: among tenants served equally long ago, the one whose oldest request came first.
        var ring = firstSeen.OrderBy(t => lastServed.GetValueOrDefault(t, -1)).ToList();
        var order = new int[tenants.Count];
        var n = 0;
        while (n < order.Length)
        {
            foreach (var tenant in ring)
            {
                if (queues[tenant].TryDequeue(out var index)) order[n++] = index;
            }
        }
        return order;
    }
}
