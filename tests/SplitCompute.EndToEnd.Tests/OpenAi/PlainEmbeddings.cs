using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>The reference every client is compared with: a plain float request with raw HTTP.</summary>
internal static class PlainEmbeddings
{
    public static async Task<float[][]> GetAsync(SplitCluster cluster, object body)
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }

    public static void AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            var max = expected[i].Zip(actual[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= tolerance, $"row {i}: max |difference| {max:E3}");
        }
    }

    public static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
}
