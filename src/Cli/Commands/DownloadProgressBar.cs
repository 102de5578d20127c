using System.Diagnostics;
using System.Globalization;
using SplitCompute.EdgeRuntime.Shards;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// Shard download progress on stderr (never stdout, which may carry --json). On a terminal it redraws one line in place, and
/// only once a download has lasted <see cref="ShowAfter"/> (short downloads stay silent); elsewhere (asked for with
/// --progress) it prints a line per 10% so logs stay readable. Reports arrive from several download threads at once.
/// </summary>
internal sealed class DownloadProgressBar(TextWriter output, bool interactive, TimeSpan showAfter) : IProgress<ShardDownloadProgress>, IDisposable
{
    private const int Width = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastDraw;
    private long _bestDone = -1;
    private int _lastDecile = -1;
    private bool _drawn;
    private bool _completed;

    public TimeSpan ShowAfter => showAfter;

    public void Report(ShardDownloadProgress value)
    {
        lock (_gate)
        {
            if (value.BytesTotal <= 0 || _completed) return;
            // Reports from parallel downloads can arrive out of order: show the furthest point reached.
            if (value.BytesDone < _bestDone && !value.IsComplete) return;
            _bestDone = Math.Max(_bestDone, value.BytesDone);
            var elapsed = _clock.Elapsed;
            if (!value.IsComplete && elapsed < showAfter) return;
            if (value.IsComplete && !_drawn && elapsed < showAfter) return;  // finished before anyone needed a bar
            if (interactive) DrawInPlace(value, elapsed);
            else DrawLine(value, elapsed);
            if (value.IsComplete) Complete();
        }
    }

    private void DrawInPlace(ShardDownloadProgress value, TimeSpan elapsed)
    {
        if (!value.IsComplete && _lastDraw is { } last && elapsed - last < RedrawInterval) return;
        _lastDraw = elapsed;
        var filled = (int)(Width * Fraction(value));
        output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {Describe(value, elapsed)}  ");
        output.Flush();
        _drawn = true;
    }

    private void DrawLine(ShardDownloadProgress value, TimeSpan elapsed)
    {
        var decile = (int)(Fraction(value) * 10);
        if (decile == _lastDecile && !value.IsComplete) return;
        _lastDecile = decile;
        output.WriteLine(Describe(value, elapsed));
        output.Flush();
        _drawn = true;
    }

    private void Complete()
    {
        _completed = true;
        if (interactive && _drawn) output.WriteLine();
    }

    private static double Fraction(ShardDownloadProgress value) => Math.Clamp((double)value.BytesDone / value.BytesTotal, 0, 1);

    private static string Describe(ShardDownloadProgress value, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? value.BytesDone / 1e6 / elapsed.TotalSeconds : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"downloading shards: {value.ShardsDone}/{value.ShardsTotal}, {value.BytesDone / 1e6:F2}/{value.BytesTotal / 1e6:F2} MB ({Fraction(value) * 100:F0}%), {rate:F1} MB/s");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (interactive && _drawn && !_completed) output.WriteLine();  // leave the cursor on a fresh line after an abort
            _completed = true;
        }
    }
}
