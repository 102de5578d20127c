using SplitCompute.Model.Cpu;

namespace SplitCompute.Model.Tests.Cpu;

/// <summary>The start-up sgemm check: it passes correct products (ours and the loaded OpenBLAS) and catches wrong ones.</summary>
public sealed unsafe class OpenBlasSelfCheckTests
{
    [Fact]
    public void A_correct_product_passes() =>
        AssertPasses(OpenBlasSelfCheck.Run((m, n, k, a, lda, b, ldb, transB, c, ldc) => Naive(m, n, k, a, b, transB, c, skipLastK: false)));

    [Fact]
    public void The_loaded_OpenBLAS_passes_and_says_which_kernels_run()
    {
        AssertPasses(OpenBlasSelfCheck.Run((m, n, k, a, lda, b, ldb, transB, c, ldc) => OpenBlas.Sgemm(m, n, k, 1f, a, lda, b, ldb, 1f, c, ldc, transB)));
        var selection = OpenBlas.Selection;
        Assert.False(string.IsNullOrEmpty(selection.CoreName), selection.ToString());
        Assert.Contains(selection.CoreName, selection.Config, StringComparison.OrdinalIgnoreCase);
        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { } userChoice)
            Assert.True(string.Equals(userChoice, selection.CoreName, StringComparison.OrdinalIgnoreCase), $"asked for {userChoice}: {selection}");
        else if (OpenBlasCoreTypes.For(X86Features.Detect()) is [var best, ..] && !selection.Source.Contains("fallback", StringComparison.Ordinal))
            Assert.True(string.Equals(best, selection.CoreName, StringComparison.OrdinalIgnoreCase), $"chose {best}: {selection}");
    }

    [Fact]
    public void A_kernel_that_drops_part_of_the_sum_fails_naming_the_shape()
    {
        var result = OpenBlasSelfCheck.Run((m, n, k, a, lda, b, ldb, transB, c, ldc) => Naive(m, n, k, a, b, transB, c, skipLastK: true));
        Assert.False(result.Passed, $"error {result.Error:E2} passed");
        Assert.Matches(@"^\d+x\d+x\d+", result.Shape);
    }

    [Fact]
    public void A_kernel_that_writes_NaN_fails() =>
        Assert.False(OpenBlasSelfCheck.Run((m, n, k, a, lda, b, ldb, transB, c, ldc) => c[0] = float.NaN).Passed);

    private static void AssertPasses(OpenBlasSelfCheck.CheckResult result) =>
        Assert.True(result.Passed, $"relative error {result.Error:E2} on {result.Shape} (tolerance {OpenBlasSelfCheck.Tolerance:E0})");

    /// <summary>C += A op(B), row-major, in float32 like a BLAS; skipLastK leaves out the last term as a broken kernel might.</summary>
    private static void Naive(int m, int n, int k, float* a, float* b, bool transB, float* c, bool skipLastK)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < (skipLastK ? k - 1 : k); p++) sum += a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] += sum;
            }
        }
    }
}
