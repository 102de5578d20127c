// The edge's meters are static and process-wide: a metrics test would count the shards another class resolved meanwhile,
// so the classes run one at a time (all together take seconds).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
