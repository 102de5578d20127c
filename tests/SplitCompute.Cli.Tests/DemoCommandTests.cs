namespace SplitCompute.Cli.Tests;

/// <summary>
/// `splitcompute demo`, the README's first command, as a real process: model created, redis-server + worker + gateway started,
/// the four edge runs compared with cloud-only, everything stopped. On the tiny preset so it takes seconds, not minutes.
/// </summary>
public sealed class DemoCommandTests
{
    [Fact]
    public void Demo_creates_the_model_splits_end_to_end_and_every_answer_agrees_with_cloud_only()
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-demo-").FullName;
        try
        {
            var model = Path.Combine(root, "tiny");
            var (exit, stdout, stderr) = CliProcess.Run("demo", "--model", model, "--preset", "tiny");
            Assert.True(exit == 0, $"demo exited with {exit}\n{stdout}\n{stderr}");
            Assert.True(File.Exists(Path.Combine(model, "config.json")), "demo did not create the model it was pointed at");
            Assert.Contains("creating the default model (tiny, seed 42)", stdout, StringComparison.Ordinal);
            foreach (var run in (string[])["== gateway's pick, cold cache", "== cloud-only (--no-split)", "== forced split k=2", "== gateway's pick, warm cache"])
                Assert.Contains(run, stdout, StringComparison.Ordinal);
            // The forced split really ran the tail here: on Dawn where WebGPU is provisioned (CI requires it), else the cloud said why.
            var tail = Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_WEBGPU") == "1" ? "this machine ran [2,4) on webgpu" : "split k=";
            Assert.Contains(tail, stdout, StringComparison.Ordinal);
            Assert.Contains("all answers agree with cloud-only within", stdout, StringComparison.Ordinal);
            Assert.Contains("stopping ...", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Demo_runs_a_sentence_encoder_preset_split_on_this_machine()
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-demo-").FullName;
        try
        {
            var model = Path.Combine(root, "bert-tiny");
            var (exit, stdout, stderr) = CliProcess.Run("demo", "--model", model, "--preset", "bert-tiny");
            Assert.True(exit == 0, $"demo exited with {exit}\n{stdout}\n{stderr}");
            Assert.True(File.Exists(Path.Combine(model, "modules.json")), "demo did not write the encoder in sentence-transformers' layout");
            Assert.Contains("== forced split k=1", stdout, StringComparison.Ordinal);
            // The encoder's tail ran here on Dawn (bidirectional attention, erf GELU) where WebGPU is provisioned (CI requires it).
            var tail = Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_WEBGPU") == "1" ? "this machine ran [1,2) on webgpu" : "split k=1";
            Assert.Contains(tail, stdout, StringComparison.Ordinal);
            Assert.Contains("all answers agree with cloud-only within", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
