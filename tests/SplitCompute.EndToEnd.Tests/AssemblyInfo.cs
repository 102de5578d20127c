// Each test class runs its own cluster; run them one at a time. The planner works from the workers' measured ms per
// layer-token, so a class hogging the CPU (a 1024-token request, a Redis outage's steady traffic) next to another would skew
// that one's plans and make plan-shape assertions flaky; the fault tests' 2 s worker timeout wants a quiet machine too.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
