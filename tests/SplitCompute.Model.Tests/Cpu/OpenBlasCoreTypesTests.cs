using SplitCompute.Model.Cpu;

namespace SplitCompute.Model.Tests.Cpu;

/// <summary>The kernel-set ladder chosen from CPU features: best first, only sets the CPU can run, always ending in the safe one.</summary>
public sealed class OpenBlasCoreTypesTests
{
    public static TheoryData<string, X86Features, string[]> Cpus => new()
    {
        // Issue 20's Intel family 6 model 207 (Emerald Rapids): Debian's OpenBLAS picked Prescott; its features say SkylakeX.
        { "Emerald Rapids", new X86Features("GenuineIntel", true, true, true), ["SkylakeX", "Haswell", "Sandybridge", "Prescott"] },
        { "AMD Zen 5", new X86Features("AuthenticAMD", true, true, true), ["SkylakeX", "Zen", "Sandybridge", "Prescott"] },
        { "AMD Zen 3", new X86Features("AuthenticAMD", true, true, false), ["Zen", "Sandybridge", "Prescott"] },
        { "Hygon Dhyana", new X86Features("HygonGenuine", true, true, false), ["Zen", "Sandybridge", "Prescott"] },
        { "Haswell", new X86Features("GenuineIntel", true, true, false), ["Haswell", "Sandybridge", "Prescott"] },
        { "Ivy Bridge", new X86Features("GenuineIntel", true, false, false), ["Sandybridge", "Prescott"] },
        { "AVX masked by a hypervisor", new X86Features("GenuineIntel", false, false, false), ["Prescott"] },
    };

    [Theory]
    [MemberData(nameof(Cpus))]
    public void The_ladder_follows_the_features(string cpu, X86Features features, string[] expected) =>
        Assert.True(expected.SequenceEqual(OpenBlasCoreTypes.For(features)),
            $"{cpu} ({features}): expected [{string.Join(", ", expected)}], got [{string.Join(", ", OpenBlasCoreTypes.For(features))}]");

    [Fact]
    public void Off_x86_OpenBLAS_decides() => Assert.Empty(OpenBlasCoreTypes.For(new X86Features("", false, false, false)));
}
