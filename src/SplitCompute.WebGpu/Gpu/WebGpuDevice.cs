using System.Runtime.InteropServices;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// A Dawn instance, its Vulkan adapter, a device with the adapter's full limits (and shader-f16 when offered) and its queue.
/// Refuses Dawn's Null backend and a missing adapter with <see cref="NoWebGpuAdapterException"/>. Creation calls go through
/// <see cref="Checked{T}"/>, which wraps them in error scopes and turns Dawn's message into a <see cref="WebGpuException"/>.
/// Dawn does not synchronise calls on one device from several threads, so everything that uses a device (the backends sharing it,
/// the probe) holds <see cref="Gate"/> (re-entrant) while it does. A lost device (driver reset, GPU removed, <see cref="Destroy"/>)
/// keeps "succeeding" in Dawn (creations and queue waits report no error), so users call <see cref="ThrowIfLost"/> around
/// their work: it fails with <see cref="WebGpuDeviceLostException"/> once Dawn's device-lost callback has reported.
/// </summary>
public sealed unsafe class WebGpuDevice : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly DeviceLoss _loss;
    private KernelCache? _kernels;
    private StagingRing? _staging;

    private WebGpuDevice(InstanceHandle instance, AdapterHandle adapter, DeviceHandle device, QueueHandle queue, DeviceLoss loss,
        WebGpuAdapterDescription description, WGPULimits limits, IReadOnlyList<string> features, bool hasShaderF16)
    {
        _loss = loss;
        Instance = instance;
        Adapter = adapter;
        Device = device;
        Queue = queue;
        Description = description;
        RawLimits = limits;
        Features = features;
        HasShaderF16 = hasShaderF16;
        Limits = new WebGpuLimits((long)limits.MaxBufferSize, (long)limits.MaxStorageBufferBindingSize, limits.MaxComputeWorkgroupStorageSize,
            (int)limits.MaxComputeInvocationsPerWorkgroup, (int)limits.MaxStorageBuffersPerShaderStage, (int)limits.MaxComputeWorkgroupsPerDimension);
    }

    public WebGpuAdapterDescription Description { get; }

    public WebGpuLimits Limits { get; }

    /// <summary>WebGPU names of the standard features the adapter offers, e.g. "shader-f16".</summary>
    public IReadOnlyList<string> Features { get; }

    /// <summary>The device was created with shader-f16, so kernels may read f16 weights.</summary>
    public bool HasShaderF16 { get; }

    /// <summary>
    /// The device was created with the subgroups feature and every subgroup has at least 8 invocations, so an 8-invocation
    /// workgroup is one subgroup and may share values by subgroupBroadcast (matmul_rows_subgroups.wgsl).
    /// </summary>
    public bool HasSubgroupsOf8 { get; private init; }

    /// <summary>How long one wait for the GPU may take before it is reported as hung.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Held while the device is used; re-entrant.</summary>
    internal Lock Gate { get; } = new();

    internal InstanceHandle Instance { get; }

    internal AdapterHandle Adapter { get; }

    internal DeviceHandle Device { get; }

    internal QueueHandle Queue { get; }

    internal WGPULimits RawLimits { get; }

    /// <summary>Kernels compiled on this device, shared by every backend on it (a pipeline is a device object). Hold <see cref="Gate"/>.</summary>
    internal KernelCache Kernels
    {
        get
        {
            using var _ = Gate.EnterScope();
            return _kernels ??= new KernelCache(this);
        }
    }

    /// <summary>Drops staged copies not yet submitted (a failed upload), without creating the ring when there is none.</summary>
    internal void DiscardStagedUploads()
    {
        using var _ = Gate.EnterScope();
        _staging?.Discard();
    }

    /// <summary>The staging buffers weight uploads go through, allocated on first use and kept. Hold <see cref="Gate"/>.</summary>
    internal StagingRing Staging
    {
        get
        {
            using var _ = Gate.EnterScope();
            return _staging ??= new StagingRing(this);
        }
    }

    /// <summary>Opens the first Vulkan adapter Dawn offers. Throws <see cref="DawnLibraryNotFoundException"/> or <see cref="NoWebGpuAdapterException"/>.</summary>
    public static WebGpuDevice Open() => Open(WGPUBackendType.Vulkan);

    /// <summary>Opens a device (the first Vulkan adapter) for <paramref name="bind"/>, which takes it over; closed again if binding fails.</summary>
    public static T OpenFor<T>(Func<WebGpuDevice, T> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        var device = Open();
        try
        {
            return bind(device);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Opens an adapter of <paramref name="backendType"/>; only tests ask for another backend than Vulkan (to see a refusal).</summary>
    internal static WebGpuDevice Open(uint backendType)
    {
        DawnLibrary.EnsureLoaded();
        var instance = CreateInstance();
        var loss = new DeviceLoss();
        try
        {
            var adapter = RequestAdapter(instance, backendType);
            try
            {
                var description = Describe(adapter);
                if (!WGPUBackendType.IsReal(BackendOf(adapter)))
                {
                    throw new NoWebGpuAdapterException(
                        $"Dawn offered only {description}, which computes nothing; refusing it. Install a Vulkan driver (Mesa >= 25 lavapipe on machines without a GPU; ./splitcompute does this)",
                        description.ToString());
                }
                WGPULimits limits;
                if (Wgpu.AdapterGetLimits(adapter.Raw, &limits) != WGPUStatus.Success) throw new WebGpuException($"wgpuAdapterGetLimits failed on {description}");
                var hasF16 = Wgpu.AdapterHasFeature(adapter.Raw, WGPUFeatureName.ShaderF16) != 0;
                var subgroupsOf8 = Wgpu.AdapterHasFeature(adapter.Raw, WGPUFeatureName.Subgroups) != 0 && SubgroupMinSize(adapter) >= 8;
                var device = RequestDevice(instance, adapter, description, limits, hasF16, subgroupsOf8, loss);
                try
                {
                    var queue = new QueueHandle(Wgpu.DeviceGetQueue(device.Raw));
                    return new WebGpuDevice(instance, adapter, device, queue, loss, description, limits, FeatureNames(adapter), hasF16) { HasSubgroupsOf8 = subgroupsOf8 };
                }
                catch
                {
                    device.Dispose();
                    throw;
                }
            }
            catch
            {
                adapter.Dispose();
                throw;
            }
        }
        catch
        {
            instance.Dispose();
            DeviceLostCallback.Unregister(loss);
            throw;
        }
    }

    /// <summary>True once Dawn reported this device lost (events are processed first, so a pending report is seen).</summary>
    internal bool IsLost
    {
        get
        {
            using var _ = Gate.EnterScope();
            Wgpu.InstanceProcessEvents(Instance.Raw);
            return _loss.Lost is not null;
        }
    }

    /// <summary>
    /// Destroys the device as a driver reset or a GPU removal would lose it: Dawn reports it lost (reason "destroyed") and
    /// every later use fails with <see cref="WebGpuDeviceLostException"/>. Tests use it to make a real loss on demand.
    /// </summary>
    internal void Destroy()
    {
        using var _ = Gate.EnterScope();
        Wgpu.DeviceDestroy(Device.Raw);
    }

    /// <summary>
    /// Lets Dawn deliver a pending device-lost report, then throws <see cref="WebGpuDeviceLostException"/> naming
    /// <paramref name="what"/> was being done if the device is lost. Called before work is queued and after it was submitted
    /// (before results are copied out), because Dawn itself fails almost nothing on a lost device.
    /// </summary>
    internal void ThrowIfLost(string what)
    {
        using var _ = Gate.EnterScope();
        Wgpu.InstanceProcessEvents(Instance.Raw);
        if (_loss.Lost is not { } lost) return;
        var dawn = lost.Message.Length > 0 ? lost.Message : "no message";
        throw new WebGpuDeviceLostException(
            $"{what}: the WebGPU device was lost ({lost.ReasonName}; Dawn: {dawn}) on {Description}; a new device is needed",
            lost.ReasonName, lost.Message);
    }

    /// <summary>
    /// Runs a creation call inside validation, out-of-memory and internal error scopes; a failure (or a null object) becomes a
    /// <see cref="WebGpuException"/> that names <paramref name="what"/> and carries Dawn's message.
    /// </summary>
    internal T Checked<T>(string what, Func<T> create) where T : WgpuHandle
    {
        PushErrorScopes();
        T? created = null;
        try
        {
            created = create();
        }
        finally
        {
            var error = PopErrorScopes(what);
            if (error is not null)
            {
                created?.Dispose();
                throw new WebGpuException(error);
            }
        }
        if (created.IsInvalid) throw new WebGpuException($"{what}: Dawn returned no object and reported no error");
        return created;
    }

    /// <summary>Runs <paramref name="action"/> (encoding, submission) inside error scopes; a captured error becomes a <see cref="WebGpuException"/>.</summary>
    internal void Checked(string what, Action action)
    {
        PushErrorScopes();
        try
        {
            action();
        }
        finally
        {
            var error = PopErrorScopes(what);
            if (error is not null) throw new WebGpuException(error);
        }
    }

    /// <summary>Blocks until everything submitted so far has finished on the GPU.</summary>
    internal void WaitForQueue(string what)
    {
        var result = FutureWaiter.Run(Instance, what, WaitTimeout, handle => Wgpu.QueueOnSubmittedWorkDone(Queue.Raw, Callbacks.ForStatus(handle)));
        ThrowIfLost(what);  // Dawn reports a lost device's queue as done
        if (result.Status != WGPUStatus.Success) throw new WebGpuException($"{what}: queue work failed (status {result.Status}): {result.Message}");
    }

    private void PushErrorScopes()
    {
        Wgpu.DevicePushErrorScope(Device.Raw, WGPUErrorFilter.Validation);
        Wgpu.DevicePushErrorScope(Device.Raw, WGPUErrorFilter.OutOfMemory);
        Wgpu.DevicePushErrorScope(Device.Raw, WGPUErrorFilter.Internal);
    }

    /// <summary>Pops the three scopes (innermost first) and returns the first error as a message, or null.</summary>
    private string? PopErrorScopes(string what)
    {
        string? first = null;
        for (var i = 0; i < 3; i++)
        {
            var result = FutureWaiter.Run(Instance, $"{what}: pop error scope", WaitTimeout,
                handle => Wgpu.DevicePopErrorScope(Device.Raw, Callbacks.ForPopErrorScope(handle)));
            if (first is null && result.ErrorType != WGPUErrorType.NoError && result.ErrorType != 0)
                first = $"{what}: {WGPUErrorType.Name(result.ErrorType)} from Dawn: {result.Message}";
        }
        return first;
    }

    private static InstanceHandle CreateInstance()
    {
        var features = stackalloc uint[] { WGPUInstanceFeatureName.TimedWaitAny };
        var descriptor = new WGPUInstanceDescriptor { RequiredFeatureCount = 1, RequiredFeatures = features };
        var instance = new InstanceHandle(Wgpu.CreateInstance(&descriptor));
        if (instance.IsInvalid) throw new WebGpuException("wgpuCreateInstance returned null (the TimedWaitAny instance feature is required)");
        return instance;
    }

    private static AdapterHandle RequestAdapter(InstanceHandle instance, uint backendType)
    {
        // Always ask for a backend (Vulkan): a default request silently falls back to Dawn's Null backend when no real adapter qualifies.
        var options = new WGPURequestAdapterOptions { BackendType = backendType, PowerPreference = 2 /* high performance */ };
        var pOptions = &options;
        var result = FutureWaiter.Run(instance, $"requesting a {WGPUBackendType.Name(backendType)} adapter", RequestTimeout,
            handle => Wgpu.InstanceRequestAdapter(instance.Raw, pOptions, Callbacks.ForRequest(handle)));
        if (result.Status != WGPUStatus.Success || result.Object == 0)
        {
            throw new NoWebGpuAdapterException(
                $"Dawn found no {WGPUBackendType.Name(backendType)} adapter (status {result.Status}: {(result.Message.Length > 0 ? result.Message : "no message")}). " +
                "Install a Vulkan driver (Mesa >= 25 lavapipe on machines without a GPU; ./splitcompute does this) or check VK_ICD_FILENAMES",
                found: null);
        }
        return new AdapterHandle(result.Object);
    }

    private static DeviceHandle RequestDevice(InstanceHandle instance, AdapterHandle adapter, WebGpuAdapterDescription description, WGPULimits limits, bool hasF16,
        bool subgroups, DeviceLoss loss)
    {
        var features = stackalloc uint[2];
        var count = 0;
        if (hasF16) features[count++] = WGPUFeatureName.ShaderF16;
        if (subgroups) features[count++] = WGPUFeatureName.Subgroups;
        var descriptor = new WGPUDeviceDescriptor
        {
            RequiredFeatureCount = (uint)count,
            RequiredFeatures = features,
            RequiredLimits = &limits,  // everything the adapter allows (lavapipe: 128 MiB storage bindings instead of the default)
            DeviceLostCallbackInfo = DeviceLostCallback.Register(loss),  // AllowProcessEvents: delivered in ThrowIfLost, on our thread
        };
        var pDescriptor = &descriptor;
        var result = FutureWaiter.Run(instance, $"requesting a device on {description.Device}", RequestTimeout,
            handle => Wgpu.AdapterRequestDevice(adapter.Raw, pDescriptor, Callbacks.ForRequest(handle)));
        if (result.Status != WGPUStatus.Success || result.Object == 0)
            throw new WebGpuException($"requesting a device on {description}: status {result.Status}: {result.Message}");
        return new DeviceHandle(result.Object);
    }

    private static uint SubgroupMinSize(AdapterHandle adapter)
    {
        WGPUAdapterInfo info = default;
        if (Wgpu.AdapterGetInfo(adapter.Raw, &info) != WGPUStatus.Success) throw new WebGpuException("wgpuAdapterGetInfo failed");
        var size = info.SubgroupMinSize;
        Wgpu.AdapterInfoFreeMembers(info);
        return size;
    }

    private static uint BackendOf(AdapterHandle adapter)
    {
        WGPUAdapterInfo info = default;
        if (Wgpu.AdapterGetInfo(adapter.Raw, &info) != WGPUStatus.Success) throw new WebGpuException("wgpuAdapterGetInfo failed");
        var backend = info.BackendType;
        Wgpu.AdapterInfoFreeMembers(info);
        return backend;
    }

    private static WebGpuAdapterDescription Describe(AdapterHandle adapter)
    {
        WGPUAdapterInfo info = default;
        if (Wgpu.AdapterGetInfo(adapter.Raw, &info) != WGPUStatus.Success) throw new WebGpuException("wgpuAdapterGetInfo failed");
        try
        {
            return new WebGpuAdapterDescription(info.Vendor.ToString(), info.Architecture.ToString(), info.Device.ToString(), info.Description.ToString(),
                WGPUBackendType.Name(info.BackendType), WGPUAdapterType.Name(info.AdapterType), info.VendorId, info.DeviceId);
        }
        finally
        {
            Wgpu.AdapterInfoFreeMembers(info);
        }
    }

    private static string[] FeatureNames(AdapterHandle adapter)
    {
        WGPUSupportedFeatures supported = default;
        Wgpu.AdapterGetFeatures(adapter.Raw, &supported);
        try
        {
            var raw = new ReadOnlySpan<uint>((void*)supported.Features, checked((int)supported.FeatureCount));
            var names = new List<string>();
            foreach (var feature in raw)
            {
                if (WGPUFeatureName.Name(feature) is { } name) names.Add(name);
            }
            names.Sort(StringComparer.Ordinal);
            return [.. names];
        }
        finally
        {
            Wgpu.SupportedFeaturesFreeMembers(supported);
        }
    }

    public void Dispose()
    {
        using var _ = Gate.EnterScope();
        _staging?.Dispose();
        _kernels?.Dispose();
        Queue.Dispose();
        Device.Dispose();
        Adapter.Dispose();
        Instance.Dispose();
        DeviceLostCallback.Unregister(_loss);
    }
}
