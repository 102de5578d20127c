using SplitCompute.InferenceWorker.Hosting;

var app = WorkerApp.Build(args);
app.Run();
