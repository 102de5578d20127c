using SplitCompute.Gateway.Hosting;

var app = GatewayApp.Build(args);
app.Run();
