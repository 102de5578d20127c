using System.Reflection;
using SplitCompute.Cuda.Backend;

namespace SplitCompute.Cuda.Tests;

/// <summary>The product's options are what a deployment chooses; kernel variants stay internal to benchmarks and tests.</summary>
public sealed class CudaBackendOptionsTests
{
    [Fact]
    public void Only_deployment_settings_are_public()
    {
        var names = typeof(CudaBackendOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["DeviceOrdinal", "KernelCacheDirectory", "LibraryDirectories", "MaxGraphs", "Precision"], names);
    }

    [Fact]
    public void The_defaults_are_the_serving_configuration()
    {
        var options = new CudaBackendOptions();
        Assert.Equal(CudaPrecision.Float16, options.Precision);
        Assert.True(options.UseGraphs && options.FuseGelu && options.TensorCoreAttention && options.TransposedWeights);
        Assert.True(options.AttentionKeySplit && options.DependentLaunch && options.TuneProducts && options.OwnProducts && options.TuneInBlock);
        Assert.Equal(4, options.AttentionWarps);
        Assert.Equal(0, options.OwnProductSplit);
    }
}
