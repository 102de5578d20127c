using System.Reflection;
using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>
/// Finds and loads Dawn's shared library. Lookup order: $SPLITCOMPUTE_DAWN_LIBRARY (an explicit path; if set it must exist),
/// then $SPLITCOMPUTE_HOME/dawn/libwebgpu_wrapper.so (where ./splitcompute provisions it), then the name alone (the system
/// loader's search path, e.g. LD_LIBRARY_PATH).
/// </summary>
public static class DawnLibrary
{
    public const string PathVariable = "SPLITCOMPUTE_DAWN_LIBRARY";
    public const string FileName = "libwebgpu_wrapper.so";

    private static readonly Lock Gate = new();
    private static nint _handle;
    private static string? _loadedFrom;

    /// <summary>Where the library was loaded from, once loaded.</summary>
    public static string? LoadedFrom => _loadedFrom;

    /// <summary>Loads the library once and routes the bindings' imports to it. Throws <see cref="DawnLibraryNotFoundException"/>.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0) return;
            var (path, handle) = Find(Environment.GetEnvironmentVariable(PathVariable), SplitComputeHome.Directory);
            Load(path, handle);
        }
    }

    /// <summary>Applies the lookup order to the given settings and loads the first candidate that loads (no global state).</summary>
    internal static (string Path, nint Handle) Find(string? explicitPath, string home)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            // An explicit choice is never silently replaced by another copy.
            if (!File.Exists(explicitPath))
                throw new DawnLibraryNotFoundException($"{PathVariable} points at {explicitPath}, which does not exist", [explicitPath]);
            if (!NativeLibrary.TryLoad(explicitPath, out var chosen))
                throw new DawnLibraryNotFoundException($"{PathVariable} points at {explicitPath}, which does not load as a shared library", [explicitPath]);
            return (explicitPath, chosen);
        }
        var provisioned = Path.Combine(home, "dawn", FileName);
        if (File.Exists(provisioned) && NativeLibrary.TryLoad(provisioned, out var fromHome)) return (provisioned, fromHome);
        if (NativeLibrary.TryLoad(FileName, out var byName)) return (FileName, byName);
        string[] tried = [provisioned, FileName + " (system search path)"];
        throw new DawnLibraryNotFoundException(
            $"Dawn ({FileName}) not found; tried {string.Join(", ", tried)}. Run ./splitcompute (it provisions Dawn into $SPLITCOMPUTE_HOME/dawn) or set {PathVariable}",
            tried);
    }

    private static void Load(string path, nint handle)
    {
        StructSizes.Verify();
        _handle = handle;
        _loadedFrom = path;
        NativeLibrary.SetDllImportResolver(typeof(DawnLibrary).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Wgpu.Library ? _handle : 0;
}
