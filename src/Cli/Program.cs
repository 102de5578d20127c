using System.CommandLine;
using SplitCompute.Cli.Commands;

var root = new RootCommand("SplitCompute: layer-level load balancing of transformer inference between cloud GPUs and edge GPUs.")
{
    ModelCommand.Create(),
    EmbedCommand.Create(),
    UpCommand.Create(),
    EdgeCommand.Create(),
    DemoCommand.Create(),
    ServiceCommands.Worker(),
    ServiceCommands.Gateway(),
    KeysCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
