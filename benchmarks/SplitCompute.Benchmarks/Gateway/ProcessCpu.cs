using System.Globalization;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// CPU time (user + system) a process has used so far, from /proc/PID/stat. Per request it shows where a path's cost goes,
/// which stays meaningful when other work on the machine makes requests/s noisy.
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100;  // USER_HZ on Linux

    public static TimeSpan Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }
}
