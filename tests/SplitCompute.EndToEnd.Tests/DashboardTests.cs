using System.Net;
using System.Text.RegularExpressions;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>The gateway's /dashboard page, opened in headless Chromium after real requests went through the gateway.</summary>
public sealed partial class DashboardTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Fact]
    public async Task The_page_and_its_chart_library_are_served_from_the_gateway_itself()
    {
        using var http = cluster.NewHttpClient();
        var redirect = await http.GetAsync("/dashboard");
        Assert.Equal("/dashboard/", redirect.RequestMessage!.RequestUri!.AbsolutePath);
        var page = await http.GetStringAsync("/dashboard/");
        Assert.Contains("<script src=\"chart.umd.js\"></script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);  // nothing from a CDN
        var chart = await http.GetStringAsync("/dashboard/chart.umd.js");
        Assert.Contains("Chart.js v4.5.1", chart, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard/secrets.json")).StatusCode);
    }

    [Fact]
    public async Task The_page_shows_the_decisions_that_were_just_made()
    {
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello dashboard"], SplitPreference.Force(1));
        await edge.EmbedTextsAsync(["Hello dashboard"], SplitPreference.Force(3));
        await edge.EmbedTextsAsync(["Hello dashboard"], SplitPreference.None);
        using var http = cluster.NewHttpClient();
        var expected = (await http.GetStringAsync("/v1/decisions")).Split("\"requestId\"").Length - 1;

        var dom = await HeadlessChromium.DumpDomAsync(new Uri(cluster.GatewayUri, "/dashboard/"), TimeSpan.FromSeconds(3));
        var rows = RowK().Matches(dom).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(rows.Count >= 3, $"the decision table shows {rows.Count} rows; the DOM was:\n{dom[..Math.Min(dom.Length, 3000)]}");
        Assert.Contains(1, rows);
        Assert.Contains(3, rows);
        Assert.Contains(4, rows);  // the cloud-only one: k = n
        var points = int.Parse(ChartPoints().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, points);
        Assert.Matches(@"id=""splits"">\d+<", dom);

        // The screenshot committed in docs/dashboard.png comes from this run (SPLITCOMPUTE_DASHBOARD_SCREENSHOT=path).
        if (Environment.GetEnvironmentVariable("SPLITCOMPUTE_DASHBOARD_SCREENSHOT") is { Length: > 0 } png)
            await HeadlessChromium.ScreenshotAsync(new Uri(cluster.GatewayUri, "/dashboard/"), TimeSpan.FromSeconds(3), png);
    }

    [GeneratedRegex(@"<tr data-request=""[^""]+"" data-k=""(\d+)""")]
    private static partial Regex RowK();

    [GeneratedRegex(@"id=""chart"" data-points=""(\d+)""")]
    private static partial Regex ChartPoints();
}
