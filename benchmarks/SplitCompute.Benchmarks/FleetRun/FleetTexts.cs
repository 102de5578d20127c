namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>Request bodies of varied size: 1 to 4 sequences of 6 to 60 words (roughly 8 to 80 tokens each), seeded.</summary>
internal static class FleetTexts
{
    private static readonly string[] Words =
        ("the planner moves layers to the edge when the cloud is busy and keeps them home when it idles a phone on battery " +
         "spares its energy while a desktop with its shards resident takes the whole tail load balancing transformer inference " +
         "embeddings for search retrieval clustering and ranking arrive from every kind of client at every hour of the day").Split(' ');

    public static string[] Next(Random random)
    {
        var sequences = random.Next(1, 5);
        var texts = new string[sequences];
        for (var s = 0; s < sequences; s++)
            texts[s] = string.Join(' ', Enumerable.Range(0, random.Next(6, 61)).Select(_ => Words[random.Next(Words.Length)]));
        return texts;
    }
}
