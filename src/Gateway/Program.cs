// The gateway host. Split planning and YARP forwarding arrive with the split-serving issue;
// until then it answers liveness only, and says so.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();
