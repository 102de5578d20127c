using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Kernels;

/// <summary>
/// Compiles CUDA C++ with NVRTC to a CUBIN for one architecture ("sm_90"), once per (source, options) per process, and on disk
/// when a cache directory is given (a worker restart then skips the ~1 s compile). A compile error carries NVRTC's log.
/// </summary>
internal static unsafe class KernelCompiler
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Compile(string source, string name, IReadOnlyList<string> options, string? cacheDirectory)
    {
        var key = CacheKey(source, options);
        if (Cache.TryGetValue(key, out var cached)) return cached;
        var path = cacheDirectory is null ? null : Path.Combine(cacheDirectory, $"{Path.GetFileNameWithoutExtension(name)}-{key[..16]}.cubin");
        if (path is not null && File.Exists(path))
        {
            var fromDisk = File.ReadAllBytes(path);
            Cache[key] = fromDisk;
            return fromDisk;
        }
        var cubin = CompileNow(source, name, options);
        if (path is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            var tmp = path + ".tmp";
            File.WriteAllBytes(tmp, cubin);
            File.Move(tmp, path, overwrite: true);
        }
        Cache[key] = cubin;
        return cubin;
    }

    /// <summary>SHA-256 of NVRTC's version, the options and the source: a new compiler or kernel never reuses an old CUBIN.</summary>
    public static string CacheKey(string source, IReadOnlyList<string> options)
    {
        int major = 0, minor = 0;
        _ = Nvrtc.Version(&major, &minor);
        var text = $"nvrtc {major}.{minor}\n{string.Join('\n', options)}\n{source}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static byte[] CompileNow(string source, string name, IReadOnlyList<string> options)
    {
        nint program;
        Nvrtc.Check(Nvrtc.CreateProgram(&program, source, name, 0, null, null), $"nvrtcCreateProgram({name})");
        var optionPointers = new nint[options.Count];
        try
        {
            for (var i = 0; i < options.Count; i++) optionPointers[i] = Marshal.StringToCoTaskMemUTF8(options[i]);
            fixed (nint* p = optionPointers)
            {
                var result = Nvrtc.CompileProgram(program, options.Count, (byte**)p);
                if (result != 0)
                {
                    throw new CudaException($"NVRTC could not compile {name} with [{string.Join(' ', options)}]: " +
                                            $"{Marshal.PtrToStringUTF8((nint)Nvrtc.GetErrorString(result))}\n{Log(program)}");
                }
            }
            nuint size;
            Nvrtc.Check(Nvrtc.GetCubinSize(program, &size), $"nvrtcGetCUBINSize({name})");
            if (size == 0) throw new CudaException($"NVRTC produced no CUBIN for {name}: the architecture option must name a real GPU (sm_XY), not a virtual one");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin) Nvrtc.Check(Nvrtc.GetCubin(program, c), $"nvrtcGetCUBIN({name})");
            return cubin;
        }
        finally
        {
            foreach (var pointer in optionPointers) Marshal.FreeCoTaskMem(pointer);
            _ = Nvrtc.DestroyProgram(&program);
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (Nvrtc.GetProgramLogSize(program, &size) != 0 || size <= 1) return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* p = log) _ = Nvrtc.GetProgramLog(program, p);
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }
}
