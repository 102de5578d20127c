using SplitCompute.Cli.Commands;
using SplitCompute.EdgeRuntime.Shards;

namespace SplitCompute.Cli.Tests;

/// <summary>The download progress bar: silent for short downloads, monotonic under out-of-order reports, readable in logs.</summary>
public sealed class DownloadProgressBarTests
{
    [Fact]
    public void On_a_terminal_it_redraws_one_line_and_ends_it_when_complete()
    {
        var output = new StringWriter();
        using (var bar = new DownloadProgressBar(output, interactive: true, showAfter: TimeSpan.Zero))
        {
            bar.Report(new ShardDownloadProgress(0, 1_000_000, 0, 2));
            bar.Report(new ShardDownloadProgress(1_000_000, 1_000_000, 2, 2));
        }
        var text = output.ToString();
        Assert.StartsWith("\r[", text, StringComparison.Ordinal);
        Assert.Contains("downloading shards: 2/2, 1.00/1.00 MB (100%)", text, StringComparison.Ordinal);
        Assert.EndsWith(Environment.NewLine, text, StringComparison.Ordinal);
        Assert.Single(text.Split(Environment.NewLine), l => l.Length > 0);
    }

    [Fact]
    public void A_download_finished_before_the_delay_prints_nothing()
    {
        var output = new StringWriter();
        using (var bar = new DownloadProgressBar(output, interactive: true, showAfter: TimeSpan.FromMinutes(1)))
        {
            bar.Report(new ShardDownloadProgress(500, 1_000, 0, 1));
            bar.Report(new ShardDownloadProgress(1_000, 1_000, 1, 1));
        }
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void In_a_log_it_writes_a_line_per_tenth_and_ignores_reports_that_arrive_late()
    {
        var output = new StringWriter();
        using (var bar = new DownloadProgressBar(output, interactive: false, showAfter: TimeSpan.Zero))
        {
            for (var done = 0; done <= 1_000; done += 50) bar.Report(new ShardDownloadProgress(done, 1_000, done == 1_000 ? 4 : 0, 4));
            bar.Report(new ShardDownloadProgress(400, 1_000, 0, 4));  // a slower thread's stale total
        }
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length);  // 0%, 10%, ..., 100%
        Assert.Contains("(100%)", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("\r", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10G", 10L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("4096", 4096L)]
    [InlineData("64kb", 64L << 10)]
    public void Sizes_parse_with_binary_suffixes(string text, long expected)
    {
        Assert.True(ByteSizeParser.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1G")]
    [InlineData("ten")]
    [InlineData("0")]
    [InlineData("5X")]
    public void Nonsense_sizes_are_refused(string text) => Assert.False(ByteSizeParser.TryParse(text, out _));
}
