using System.Reflection;
using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>
/// Finds the CUDA libraries: each file name through the system loader first (ldconfig cache, LD_LIBRARY_PATH), then in the
/// configured directories (<see cref="LibraryDirectoryVariable"/>, then the usual toolkit folders, because cuBLASLt is often
/// installed outside the loader cache). A library that loads nowhere raises one <see cref="CudaUnavailableException"/> that
/// lists every place tried.
/// </summary>
public sealed class CudaLibraryResolver
{
    /// <summary>Colon-separated directories searched after the loader's own paths.</summary>
    public const string LibraryDirectoryVariable = "SPLITCOMPUTE_CUDA_LIB_DIR";

    /// <summary>Where NVIDIA's installers and CUDA base images put the toolkit libraries.</summary>
    public static IReadOnlyList<string> WellKnownDirectories { get; } =
        ["/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/lib64", "/usr/local/cuda-13.0/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"];

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Loaded = new(StringComparer.Ordinal);
    private static bool _installed;
    private static IReadOnlyList<string> _directories = [];

    private readonly Func<string, nint> _tryLoad;
    private readonly IReadOnlyList<string> _searchDirectories;

    /// <param name="tryLoad">Loads a path or a bare file name; returns 0 when it cannot (tests pass a fake).</param>
    /// <param name="searchDirectories">Directories tried, in order, after the bare names.</param>
    public CudaLibraryResolver(Func<string, nint> tryLoad, IReadOnlyList<string> searchDirectories)
    {
        _tryLoad = tryLoad;
        _searchDirectories = searchDirectories;
    }

    /// <summary>The candidates for <paramref name="library"/>, in the order they are tried.</summary>
    public IEnumerable<string> Candidates(CudaLibrary library)
    {
        foreach (var name in library.FileNames) yield return name;
        foreach (var directory in _searchDirectories)
        {
            foreach (var name in library.FileNames) yield return Path.Combine(directory, name);
        }
    }

    /// <summary>Loads <paramref name="library"/> or throws <see cref="CudaUnavailableException"/> naming everything tried.</summary>
    public nint Load(CudaLibrary library)
    {
        var tried = new List<string>();
        foreach (var candidate in Candidates(library))
        {
            var handle = _tryLoad(candidate);
            if (handle != 0) return handle;
            tried.Add(candidate);
        }
        throw new CudaUnavailableException(
            $"CUDA library '{library.LogicalName}' could not be loaded; tried {string.Join(", ", tried)}. " +
            $"Install the NVIDIA driver / CUDA toolkit libraries or set {LibraryDirectoryVariable} to the folder that holds {library.FileNames[0]}.");
    }

    /// <summary>Directories from the environment variable, then the configured ones, then <see cref="WellKnownDirectories"/>.</summary>
    public static IReadOnlyList<string> DefaultDirectories(IEnumerable<string>? configured)
    {
        var fromEnvironment = (Environment.GetEnvironmentVariable(LibraryDirectoryVariable) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return [.. fromEnvironment.Concat(configured ?? []).Concat(WellKnownDirectories).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Installs the import resolver for this assembly (once) and loads all three libraries now, so a missing one is reported
    /// at start-up and not at the first kernel launch.
    /// </summary>
    public static void EnsureLoaded(IEnumerable<string>? configuredDirectories = null)
    {
        lock (Gate)
        {
            if (!_installed)
            {
                _directories = DefaultDirectories(configuredDirectories);
                NativeLibrary.SetDllImportResolver(typeof(CudaLibraryResolver).Assembly, Resolve);
                _installed = true;
            }
            var resolver = new CudaLibraryResolver(TryLoadNative, _directories);
            foreach (var library in CudaLibrary.All)
            {
                if (!Loaded.ContainsKey(library.LogicalName)) Loaded[library.LogicalName] = resolver.Load(library);
            }
        }
    }

    private static nint TryLoadNative(string path) => NativeLibrary.TryLoad(path, out var handle) ? handle : 0;

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(name, out var handle)) return handle;
            var library = CudaLibrary.All.FirstOrDefault(l => l.LogicalName == name);
            if (library is null) return 0;  // not ours: let the runtime's default probing handle it
            handle = new CudaLibraryResolver(TryLoadNative, _directories).Load(library);
            Loaded[name] = handle;
            return handle;
        }
    }
}
