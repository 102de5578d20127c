using System.CommandLine;

var root = new RootCommand("SplitCompute: layer-level load balancing of transformer inference between cloud GPUs and edge GPUs.");
return root.Parse(args).Invoke();
