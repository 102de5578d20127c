using System.Runtime.Intrinsics.X86;
using System.Text;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// The instruction sets that decide which OpenBLAS kernel set this CPU can run, read through .NET's intrinsics flags (which
/// also require the operating system to save the wider registers).
/// </summary>
/// <param name="Vendor">CPUID's vendor string ("GenuineIntel", "AuthenticAMD", ...); empty when not x86.</param>
/// <param name="HasAvx512">AVX-512 F, BW, CD, DQ and VL together: what .NET's Avx512F flag means, and what SkylakeX kernels use.</param>
public readonly record struct X86Features(string Vendor, bool HasAvx, bool HasAvx2Fma, bool HasAvx512)
{
    public bool IsAmd => Vendor is "AuthenticAMD" or "HygonGenuine";

    public static X86Features Detect()
    {
        if (!X86Base.IsSupported) return new X86Features("", false, false, false);
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var vendor = Encoding.ASCII.GetString([.. BitConverter.GetBytes(ebx), .. BitConverter.GetBytes(edx), .. BitConverter.GetBytes(ecx)]);
        var avx512 = Avx512F.IsSupported && Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512CD.IsSupported && Avx512DQ.IsSupported;
        return new X86Features(vendor, Avx.IsSupported, Avx2.IsSupported && Fma.IsSupported, avx512);
    }

    public override string ToString() =>
        $"{(Vendor.Length == 0 ? "not x86" : Vendor)} with " +
        string.Join('+', new[] { (HasAvx, "avx"), (HasAvx2Fma, "avx2+fma"), (HasAvx512, "avx512") }
            .Where(f => f.Item1).Select(f => f.Item2).DefaultIfEmpty("sse only"));
}
