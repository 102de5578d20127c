using System.Diagnostics;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Tests;

/// <summary>
/// gpt2.cu (and on Hopper hopper_products.cu) is compiled by NVRTC on the GPU at start-up, so without this test a syntax or type error in a kernel would first
/// show on the GPU machine. Here clang compiles it in CUDA mode to PTX (sm_80, no CUDA headers: NvrtcPrelude.cuh declares
/// what NVRTC provides), in both builds the backend uses, and the PTX must define every kernel the backend loads.
/// clang does not assemble the PTX, so inline-asm mistakes still show only on the GPU (the parity run there).
/// </summary>
public sealed class KernelSourceCompileTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Gpt2_kernels_compile_and_define_every_kernel_the_backend_loads(int f16) =>
        CompileAndCheck("gpt2.cu", f16, Gpt2Kernels.KernelNames.Where(k => f16 == 1 || !Gpt2Kernels.Float16KernelNames.Contains(k)));

    /// <summary>hopper_products.cu (fp16 only; NVRTC builds it for sm_90a, where wgmma and clusters exist).</summary>
    [Fact]
    public void Hopper_products_compile_and_define_every_kernel_the_backend_loads() =>
        CompileAndCheck("hopper_products.cu", 1, HopperProducts.KernelNames);

    private static void CompileAndCheck(string name, int f16, IEnumerable<string> kernels)
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
            var (code, output) = Run(clang, "-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch=sm_80", "-Xclang", "-target-feature",
                "-Xclang", "+ptx75", "-nocudainc", "-nocudalib", "-std=c++17", $"-DSC_F16={f16}", "-include", prelude, "-S", "-o", ptx, source);
            Assert.True(code == 0, $"clang could not compile {name} with SC_F16={f16}:\n{output}");
            var text = File.ReadAllText(ptx);
            var count = 0;
            foreach (var kernel in kernels)
            {
                Assert.True(text.Contains($".entry {kernel}(", StringComparison.Ordinal), $"{name} (SC_F16={f16}) defines no kernel '{kernel}'");
                count++;
            }
            Assert.True(count > 0, $"no kernels to look for in {name}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? FindClang()
    {
        string[] candidates = ["/usr/bin/clang++-14", "/usr/lib/llvm-14/bin/clang++", "/usr/bin/clang++"];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
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
