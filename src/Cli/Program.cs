using System.CommandLine;
using SplitCompute.Cli.Commands;

var root = new RootCommand("SplitCompute: layer-level load balancing of transformer inference between cloud GPUs and edge GPUs.")
{
    ModelCommand.Create(),
    EmbedCommand.Create(),
    DemoCommand.Create(),
};
return root.Parse(args).Invoke();
