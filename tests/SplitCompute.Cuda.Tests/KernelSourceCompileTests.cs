using System.Diagnostics;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Tests;

/// <summary>
/// gpt2.cu (and on Hopper hopper_products.cu) is compiled by NVRTC on the GPU at start-up, so without this test a syntax or type error in a kernel would first
/// show on the GPU machine. Here clang compiles it in CUDA mode to PTX (sm_80, no CUDA headers: NvrtcPrelude.cuh declares
/// what NVRTC provides), in both builds the backend uses and with the -D options the backend passes (so the kernels' asserts
/// on the host's constants are checked here too), and the PTX must define every kernel the backend loads.
/// clang does not assemble the PTX, so inline-asm mistakes still show only on the GPU (the parity run there).
/// </summary>
public sealed class KernelSourceCompileTests
{
    [Theory]
    [InlineData(CudaPrecision.Float32, true)]
    [InlineData(CudaPrecision.Float16, true)]
    [InlineData(CudaPrecision.Float32, false)]
    [InlineData(CudaPrecision.Float16, false)]
    public void Gpt2_kernels_compile_and_define_every_kernel_the_backend_loads(CudaPrecision precision, bool causal)
    {
        var (code, output, ptx) = Compile("gpt2.cu", Gpt2Kernels.Defines(precision, causal));
        Assert.True(code == 0, $"clang could not compile gpt2.cu for {precision} ({(causal ? "causal" : "encoder build")}):\n{output}");
        AssertDefines(ptx, $"gpt2.cu ({precision}, causal {causal})",
            Gpt2Kernels.KernelNames.Where(k => precision == CudaPrecision.Float16 || !Gpt2Kernels.Float16KernelNames.Contains(k)));
    }

    /// <summary>hopper_products.cu (fp16 only; NVRTC builds it for sm_90a, where wgmma and clusters exist).</summary>
    [Fact]
    public void Hopper_products_compile_and_define_every_kernel_the_backend_loads()
    {
        var (code, output, ptx) = Compile("hopper_products.cu", HopperProductConstants.Defines);
        Assert.True(code == 0, $"clang could not compile hopper_products.cu:\n{output}");
        AssertDefines(ptx, "hopper_products.cu", HopperProducts.KernelNames);
    }

    /// <summary>The launch geometry's constants have one source, the host: without its -D options gpt2.cu does not compile.</summary>
    [Fact]
    public void Gpt2_kernels_refuse_to_compile_without_the_hosts_constants()
    {
        var (code, output, _) = Compile("gpt2.cu", ["-DSC_F16=1"]);
        Assert.True(code != 0, "gpt2.cu compiled without LN_THREADS, ATT_Q, MMA_D ...: it has a copy of them again");
        Assert.Contains("passed by the host (Gpt2KernelConstants)", output, StringComparison.Ordinal);
    }

    /// <summary>A host constant the kernel's code is not written for stops the compile (a static_assert), not the GPU.</summary>
    [Fact]
    public void A_host_constant_the_kernel_is_not_written_for_fails_the_compile()
    {
        var (code, output, _) = Compile("gpt2.cu", [.. Gpt2Kernels.Defines(CudaPrecision.Float16).Select(d => d.StartsWith("-DMMA_D=", StringComparison.Ordinal) ? "-DMMA_D=128" : d)]);
        Assert.True(code != 0, "attention_mma compiled for MMA_D = 128");
        Assert.Contains("written for 64 head dims", output, StringComparison.Ordinal);
    }

    /// <summary>clang's exit code and output, and the PTX it wrote (empty when it failed).</summary>
    private static (int Code, string Output, string Ptx) Compile(string name, IEnumerable<string> defines)
    {
        var clang = FindClang() ?? throw new InvalidOperationException(
            $"clang++ (Debian clang-14) is needed to compile {name} without CUDA; ./splitcompute test installs it");
        var dir = Directory.CreateTempSubdirectory("splitcompute-cu-").FullName;
        try
        {
            var source = Path.Combine(dir, name);
            File.WriteAllText(source, KernelSource.Read(name));
            var prelude = Path.Combine(AppContext.BaseDirectory, "NvrtcPrelude.cuh");
            var ptx = Path.Combine(dir, Path.ChangeExtension(name, ".ptx"));
            var (code, output) = Run(clang, ["-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch=sm_80", "-Xclang", "-target-feature",
                "-Xclang", "+ptx75", "-nocudainc", "-nocudalib", "-std=c++17", .. defines, "-include", prelude, "-S", "-o", ptx, source]);
            return (code, output, code == 0 ? File.ReadAllText(ptx) : "");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertDefines(string ptx, string what, IEnumerable<string> kernels)
    {
        var count = 0;
        foreach (var kernel in kernels)
        {
            Assert.True(ptx.Contains($".entry {kernel}(", StringComparison.Ordinal), $"{what} defines no kernel '{kernel}'");
            count++;
        }
        Assert.True(count > 0, $"no kernels to look for in {what}");
    }

    private static string? FindClang()
    {
        string[] candidates = ["/usr/bin/clang++-14", "/usr/lib/llvm-14/bin/clang++", "/usr/bin/clang++"];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static (int Code, string Output) Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
