namespace SplitCompute.Model.Cpu;

/// <summary>
/// A few sgemm calls checked against a float64 reference, run once after OpenBLAS loads: some OpenBLAS builds compute wrong
/// results with kernels for a CPU they do not know. Shapes cover the paths our products take: a tiny product (OpenBLAS's
/// single-thread and small-matrix paths), one large enough to be split across threads, B transposed, beta = 1 on a seeded C.
/// </summary>
internal static unsafe class OpenBlasSelfCheck
{
    /// <summary>C(M,N) += A(M,K) op(B), row-major (alpha = beta = 1, as the backend calls it); transB: B is stored (N,K).</summary>
    public delegate void Sgemm(int m, int n, int k, float* a, int lda, float* b, int ldb, bool transB, float* c, int ldc);

    /// <summary>Per element: |c - reference| &lt;= Tolerance * (|beta c| + sum |a b|); fp32 over these K gives ~2e-7, broken kernels ~1.</summary>
    public const double Tolerance = 1e-4;

    private static readonly (int M, int N, int K, bool TransB)[] Shapes = [(5, 9, 17, false), (67, 131, 259, false), (33, 70, 96, true)];

    /// <summary>The worst case over every shape, as a fraction of the tolerance's scale, and the shape it came from.</summary>
    public static CheckResult Run(Sgemm sgemm)
    {
        var worst = new CheckResult(0, "");
        var random = new Random(20);
        foreach (var (m, n, k, transB) in Shapes)
        {
            var a = RandomValues(random, m * k);
            var b = RandomValues(random, k * n);
            var c = RandomValues(random, m * n);
            var seeded = c.ToArray();
            fixed (float* pa = a, pb = b, pc = c)
            {
                sgemm(m, n, k, pa, k, pb, transB ? k : n, transB, pc, n);
            }
            var error = WorstRelativeError(a, b, seeded, c, m, n, k, transB);
            if (error > worst.Error) worst = new CheckResult(error, $"{m}x{n}x{k}{(transB ? " B^T" : "")}");
        }
        return worst;
    }

    private static double WorstRelativeError(float[] a, float[] b, float[] seeded, float[] c, int m, int n, int k, bool transB)
    {
        var worst = 0.0;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = seeded[i * n + j], scale = Math.Abs(seeded[i * n + j]);
                for (var p = 0; p < k; p++)
                {
                    double product = a[i * k + p] * (double)(transB ? b[j * k + p] : b[p * n + j]);
                    sum += product;
                    scale += Math.Abs(product);
                }
                var error = Math.Abs(c[i * n + j] - sum) / scale;
                if (!(error <= worst)) worst = double.IsNaN(error) ? double.PositiveInfinity : error;
            }
        }
        return worst;
    }

    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = random.NextSingle() - 0.5f;
        return values;
    }

    /// <param name="Error">Worst |c - reference| / (|beta c| + sum |a b|); passes when &lt;= <see cref="Tolerance"/>.</param>
    /// <param name="Shape">The product that gave it ("67x131x259").</param>
    public readonly record struct CheckResult(double Error, string Shape)
    {
        public bool Passed => Error <= Tolerance;
    }
}
