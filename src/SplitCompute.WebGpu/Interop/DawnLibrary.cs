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

    /// <summary>The candidate paths in lookup order (the last is a bare name for the system loader).</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var list = new List<string>();
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath) list.Add(explicitPath);
        list.Add(Path.Combine(SplitComputeHome.Directory, "dawn", FileName));
        list.Add(FileName);
        return list;
    }

    /// <summary>Loads the library once and routes the bindings' imports to it. Throws <see cref="DawnLibraryNotFoundException"/>.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0) return;
            var tried = new List<string>();
            if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath)
            {
                // An explicit choice is never silently replaced by another copy.
                if (!File.Exists(explicitPath))
                    throw new DawnLibraryNotFoundException($"{PathVariable} points at {explicitPath}, which does not exist", [explicitPath]);
                Load(explicitPath, NativeLibrary.Load(explicitPath));
                return;
            }
            var provisioned = Path.Combine(SplitComputeHome.Directory, "dawn", FileName);
            tried.Add(provisioned);
            if (File.Exists(provisioned) && NativeLibrary.TryLoad(provisioned, out var fromHome))
            {
                Load(provisioned, fromHome);
                return;
            }
            tried.Add(FileName + " (system search path)");
            if (NativeLibrary.TryLoad(FileName, out var byName))
            {
                Load(FileName, byName);
                return;
            }
            throw new DawnLibraryNotFoundException(
                $"Dawn ({FileName}) not found; tried {string.Join(", ", tried)}. Run ./splitcompute (it provisions Dawn into $SPLITCOMPUTE_HOME/dawn) or set {PathVariable}",
                tried);
        }
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
