namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// A cluster whose model declares Matryoshka widths 32 and 16 (embedding.json) and whose gateway maps the alias
/// "text-embedding-3-small" to it, as a deployment replacing OpenAI would.
/// </summary>
public sealed class OpenAiCluster() : SplitCluster([$"--Gateway:ModelAliases:{OpenAiCluster.Alias}={Model}"])
{
    public const string Alias = "text-embedding-3-small";

    public string Revision => Registry.Current.Workers[0].Revision;

    protected override void PrepareModel(string directory) =>
        File.WriteAllText(Path.Combine(directory, "embedding.json"), """{"matryoshka_dimensions": [32, 16]}""");
}
