namespace SplitCompute.Model.Init;

/// <summary>
/// A small, fast, seedable normal generator (xoshiro256** + Box-Muller). Each tensor chunk gets its own stream derived
/// from (seed, tensor name, chunk), so a model is bit-identical whatever the thread count.
/// </summary>
internal struct SeededNormal
{
    private ulong _s0, _s1, _s2, _s3;
    private float _spare;
    private bool _hasSpare;

    public SeededNormal(ulong seed, string stream, long chunk)
    {
        var x = seed ^ Fnv1a(stream) ^ ((ulong)chunk * 0x9E3779B97F4A7C15UL);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _spare = 0;
        _hasSpare = false;
    }

    public float Next(float mean, float std)
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return mean + (std * _spare);
        }
        // Box-Muller: two uniforms in (0, 1] -> two standard normals.
        var u1 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        var u2 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - u1));
        var angle = 2.0 * Math.PI * u2;
        _spare = (float)(radius * Math.Sin(angle));
        _hasSpare = true;
        return mean + (std * (float)(radius * Math.Cos(angle)));
    }

    private ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var ch in text)
        {
            hash ^= ch;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
