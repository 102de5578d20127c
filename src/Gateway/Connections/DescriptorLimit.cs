using System.Runtime.InteropServices;

namespace SplitCompute.Gateway.Connections;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE). Every connection costs a descriptor; when they run out the runtime aborts
/// (seen: "Out of memory.", exit 134, at ~20,000 idle connections), so the gateway caps connections below this limit.
/// </summary>
internal static partial class DescriptorLimit
{
    private const int RlimitNofile = 7;  // Linux

    /// <summary>The soft limit (.NET raises it to the hard limit at start-up); null where it cannot be read.</summary>
    public static long? Current()
    {
        if (!OperatingSystem.IsLinux()) return null;
        return GetRlimit(RlimitNofile, out var limit) == 0 && limit.Current is > 0 and < long.MaxValue ? (long)limit.Current : null;
    }

    /// <summary>
    /// The connection cap to apply: the configured one, but at most the descriptor limit less <paramref name="reserve"/> for
    /// what else the process opens (worker connections, Redis, shard files, logs).
    /// </summary>
    public static int ConnectionCap(int configured, long? descriptors, int reserve) =>
        descriptors is { } d ? (int)Math.Max(1, Math.Min(configured, d - reserve)) : configured;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);
}
