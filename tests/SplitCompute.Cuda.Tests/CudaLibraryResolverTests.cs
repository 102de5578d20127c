using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Tests;

/// <summary>Library resolution order and the one error a missing library gives, with a fake loader (no CUDA needed).</summary>
public sealed class CudaLibraryResolverTests
{
    [Fact]
    public void Bare_names_are_tried_before_the_configured_directories_in_order()
    {
        var resolver = new CudaLibraryResolver(_ => 0, ["/opt/cuda/lib", "/usr/local/cuda/lib64"]);
        var candidates = resolver.Candidates(CudaLibrary.BlasLt).ToList();

        var names = CudaLibrary.BlasLt.FileNames;
        Assert.Equal(names, candidates.Take(names.Count));
        Assert.Equal(Path.Combine("/opt/cuda/lib", names[0]), candidates[names.Count]);
        Assert.Equal(Path.Combine("/usr/local/cuda/lib64", names[^1]), candidates[^1]);
        Assert.Equal(names.Count * 3, candidates.Count);
    }

    [Fact]
    public void The_first_candidate_that_loads_wins()
    {
        var tried = new List<string>();
        var wanted = Path.Combine("/opt/cuda/lib", CudaLibrary.Nvrtc.FileNames[1]);
        var resolver = new CudaLibraryResolver(path =>
        {
            tried.Add(path);
            return path == wanted ? 42 : 0;
        }, ["/opt/cuda/lib"]);

        Assert.Equal(42, resolver.Load(CudaLibrary.Nvrtc));
        Assert.Equal(wanted, tried[^1]);
        Assert.Equal(CudaLibrary.Nvrtc.FileNames.Count + 2, tried.Count);  // every bare name, then the dir's first two
    }

    [Fact]
    public void A_missing_library_is_one_typed_error_naming_every_place_tried_and_the_variable()
    {
        var resolver = new CudaLibraryResolver(_ => 0, ["/nowhere"]);

        var error = Assert.Throws<CudaUnavailableException>(() => resolver.Load(CudaLibrary.BlasLt));

        Assert.Contains("cublasLt", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("/nowhere", CudaLibrary.BlasLt.FileNames[0]), error.Message, StringComparison.Ordinal);
        Assert.Contains(CudaLibraryResolver.LibraryDirectoryVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directories_come_from_the_variable_then_configuration_then_the_toolkit_defaults()
    {
        var before = Environment.GetEnvironmentVariable(CudaLibraryResolver.LibraryDirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(CudaLibraryResolver.LibraryDirectoryVariable, $"/env/a{Path.PathSeparator}/env/b");
            var directories = CudaLibraryResolver.DefaultDirectories(["/configured"]);

            Assert.Equal(["/env/a", "/env/b", "/configured"], directories.Take(3));
            Assert.Equal(CudaLibraryResolver.WellKnownDirectories, directories.Skip(3));
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraryResolver.LibraryDirectoryVariable, before);
        }
    }

    [Fact]
    public void Cuda13_and_12_builds_are_both_accepted_newest_first()
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"], CudaLibrary.BlasLt.FileNames);
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"], CudaLibrary.Nvrtc.FileNames);
        Assert.Equal("libcuda.so.1", CudaLibrary.Driver.FileNames[0]);
    }
}
