namespace SplitCompute.Cuda.Backend;

/// <summary>Row-major (rows, cols) -> (cols, rows) on the host, in 32 x 32 tiles so both sides stay in cache.</summary>
public static class HostTranspose
{
    private const int Tile = 32;

    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        if (source.Length != (long)rows * cols || destination.Length != source.Length)
            throw new ArgumentException($"transpose of ({rows}, {cols}) needs {(long)rows * cols} floats on both sides, got {source.Length} and {destination.Length}");
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            var r1 = Math.Min(rows, r0 + Tile);
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                var c1 = Math.Min(cols, c0 + Tile);
                for (var r = r0; r < r1; r++)
                {
                    for (var c = c0; c < c1; c++) destination[(c * rows) + r] = source[(r * cols) + c];
                }
            }
        }
    }
}
