using SplitCompute.Model.Gpt2;
using SplitCompute.WebGpu.Backend;
using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// A lost device is never silent zeros. On lavapipe Dawn, after wgpuDeviceDestroy, still creates buffers, reports queue work
/// done and pops error scopes without error; only the device-lost callback (and a mapping, "[Device] is lost.") tells. Each
/// test opens a device of its own, because it destroys it.
/// </summary>
public sealed class DeviceLossTests
{
    [SkippableFact]
    public void A_destroyed_device_fails_RunLayers_and_ApplyFinalNorm_with_the_loss_and_leaves_the_hidden_state_untouched()
    {
        _ = TestEnvironment.Device;  // provisioned (or skipped)
        using var reference = HuggingFaceReference.Fixture("gpt2-tiny");
        using var weights = Gpt2Weights.Load(reference.ModelDirectory);
        using var device = WebGpuDevice.Open();
        using var backend = new WebGpuBackend(weights, device);
        var n = weights.Config.NLayer;
        var hidden = reference.HiddenBefore(0, weights.Config.NEmbd);
        backend.RunLayers(hidden, 0, 1);  // the loaded backend works before the loss
        Assert.False(device.IsLost);

        device.Destroy();

        Assert.True(device.IsLost);
        var before = (float[])hidden.Data.Clone();
        var error = Assert.Throws<WebGpuDeviceLostException>(() => backend.RunLayers(hidden, 1, n));
        Assert.IsAssignableFrom<WebGpuException>(error);  // what the edge client treats as an edge failure
        Assert.Contains($"layers [1, {n})", error.Message, StringComparison.Ordinal);
        Assert.Contains("device was lost (destroyed", error.Message, StringComparison.Ordinal);
        Assert.Contains("Device was destroyed", error.Message, StringComparison.Ordinal);  // Dawn's own words, from the lost callback
        Assert.Equal("destroyed", error.Reason);
        Assert.Equal(before, hidden.Data);  // untouched: not zeros, not half a result
        Assert.Contains(hidden.Data, v => v != 0);
        Assert.Equal(1, hidden.LayersDone);

        hidden.LayersDone = n;  // ApplyFinalNorm wants all layers done; the values do not matter, it must refuse
        var norm = Assert.Throws<WebGpuDeviceLostException>(() => backend.ApplyFinalNorm(hidden));
        Assert.Contains("final norm", norm.Message, StringComparison.Ordinal);
        Assert.Equal(before, hidden.Data);
    }

    [SkippableFact]
    public void After_a_loss_a_submission_a_readback_and_a_queue_wait_all_throw_and_the_readback_copies_nothing()
    {
        _ = TestEnvironment.Device;
        using var device = WebGpuDevice.Open();
        using var source = GpuBuffer.Create(device, "source", 64, GpuBuffer.Storage);
        using var readback = GpuBuffer.Create(device, "readback", 64, GpuBuffer.Readback);
        source.Write<float>(device, Enumerable.Repeat(1f, 16).ToArray());
        device.Destroy();

        // The work after the pre-checks a backend makes: each step fails on its own, so a loss between them is caught too.
        using (var recorder = new CommandRecorder(device, "copy after loss"))
        {
            recorder.Copy(source, readback, 64);
            var submit = Assert.Throws<WebGpuDeviceLostException>(recorder.Submit);
            Assert.Contains("copy after loss: after submitting", submit.Message, StringComparison.Ordinal);
        }
        var destination = Enumerable.Repeat(42f, 16).ToArray();
        var read = Assert.Throws<WebGpuDeviceLostException>(() => readback.ReadMapped<float>(device, destination));
        Assert.Contains("reading back 'readback'", read.Message, StringComparison.Ordinal);
        Assert.All(destination, v => Assert.Equal(42f, v));
        var wait = Assert.Throws<WebGpuDeviceLostException>(() => device.WaitForQueue("waiting after loss"));
        Assert.Contains("waiting after loss", wait.Message, StringComparison.Ordinal);
    }
}
