// The tests share one device (TestEnvironment.Device), and the kernel harness drives it directly without the device's gate;
// Dawn does not synchronise calls on one device from several threads, so test classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
