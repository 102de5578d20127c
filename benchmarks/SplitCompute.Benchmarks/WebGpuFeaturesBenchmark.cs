using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.Benchmarks;

/// <summary>
/// A diagnostic, not a timing: what Dawn offers on the Vulkan adapter and which shader extensions actually compile.
/// 1. Every raw feature id of wgpuAdapterGetFeatures, for an adapter requested plainly and for one requested with the Dawn toggle
///    allow_unsafe_apis (a WGPUDawnTogglesDescriptor chained onto the instance, adapter-request and device descriptors).
/// 2. A device on the toggled adapter that requires every listed feature (falling back to fewer), and, inside error scopes, shader
///    modules + compute pipelines for tiny programs: f16, subgroups, chromium_experimental_subgroup_matrix (f16 and f32).
/// 3. The adapter's subgroup matrix configs (WGPUAdapterPropertiesSubgroupMatrixConfigs chained into wgpuAdapterGetInfo).
/// 4. Names for feature ids: a device requested with one id at a time fails with Dawn's own name for that id.
/// Every step catches and prints its failure; the process never fails because Dawn refused something.
/// </summary>
internal sealed unsafe class WebGpuFeaturesBenchmark : IBenchmark
{
    private const string UnsafeToggle = "allow_unsafe_apis";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string Name => "webgpu-features";

    public string Description => "Diagnostic: raw Dawn feature ids (plain and allow_unsafe_apis), device with all features, f16/subgroups/subgroup-matrix shader compiles";

    public int Run(string[] args)
    {
        try
        {
            DawnLibrary.EnsureLoaded();
            Console.WriteLine($"# Dawn loaded from {DawnLibrary.LoadedFrom}");
        }
        catch (Exception e)
        {
            Console.WriteLine($"# Dawn did not load: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        Console.WriteLine($"# struct sizes: WGPUDawnTogglesDescriptor {Unsafe.SizeOf<WGPUDawnTogglesDescriptor>()} (expected 48), " +
                          $"WGPUChainedStruct {Unsafe.SizeOf<WGPUChainedStruct>()} (16), WGPUAdapterPropertiesSubgroupMatrixConfigs " +
                          $"{Unsafe.SizeOf<WGPUAdapterPropertiesSubgroupMatrixConfigs>()} (32), WGPUSubgroupMatrixConfig {Unsafe.SizeOf<WGPUSubgroupMatrixConfig>()} (20)");
        if (Unsafe.SizeOf<WGPUDawnTogglesDescriptor>() != 48)
        {
            Console.WriteLine("# WGPUDawnTogglesDescriptor is not 48 bytes; refusing to pass it to Dawn");
            return 1;
        }
        Console.WriteLine($"# sType used: DawnTogglesDescriptor 0x{WGPUSType.DawnTogglesDescriptor:X8}, AdapterPropertiesSubgroupMatrixConfigs 0x{WGPUSType.AdapterPropertiesSubgroupMatrixConfigs:X8}");

        // allow_unsafe_apis plus any toggles named on the command line (e.g. use_vulkan_memory_model, which Dawn asks for
        // before it offers chromium-experimental-subgroup-matrix on Vulkan).
        string[] toggleNames = [UnsafeToggle, .. args];
        Console.WriteLine($"# toggles for (b): {string.Join(", ", toggleNames)}");
        var togglePointers = (byte**)NativeMemory.AllocZeroed((nuint)(toggleNames.Length * sizeof(nint)));
        for (var t = 0; t < toggleNames.Length; t++) togglePointers[t] = Utf8(toggleNames[t]);
        var toggles = (WGPUDawnTogglesDescriptor*)NativeMemory.AllocZeroed((nuint)sizeof(WGPUDawnTogglesDescriptor));
        toggles->Chain.SType = WGPUSType.DawnTogglesDescriptor;
        toggles->EnabledToggleCount = (nuint)toggleNames.Length;
        toggles->EnabledToggles = togglePointers;
        // Native memory that Dawn may still hold a pointer to is left allocated until the process ends (a few bytes).

        uint[] plainFeatures = [];
        Step("(a) plain instance and Vulkan adapter", () =>
        {
            using var session = Session.Open(togglesOnInstance: null, togglesOnAdapter: null);
            if (session is null) return;
            plainFeatures = session.PrintAdapter();
        });

        Console.WriteLine();
        Step($"(b) instance, adapter and device with Dawn toggle {UnsafeToggle}", () =>
        {
            using var session = Session.Open(togglesOnInstance: toggles, togglesOnAdapter: toggles);
            if (session is null) return;
            var features = session.PrintAdapter();
            var added = features.Except(plainFeatures).ToArray();
            var removed = plainFeatures.Except(features).ToArray();
            Console.WriteLine($"  vs (a): {added.Length} more ({string.Join(", ", added.Select(Describe))}), {removed.Length} fewer ({string.Join(", ", removed.Select(Describe))})");
            Console.WriteLine(added.Length > 0
                ? "  => the toggles descriptor is accepted and takes effect"
                : "  => no change in features: either the toggle unlocks nothing here or Dawn ignored the descriptor (a chained sType Dawn rejects is normally reported above)");
            WGPUSubgroupMatrixConfig[] configs = [];
            Step("subgroup matrix configs (wgpuAdapterGetInfo + WGPUAdapterPropertiesSubgroupMatrixConfigs)", () => configs = session.PrintSubgroupMatrixConfigs());
            Step("device requiring every listed feature, and shader compiles", () => session.DeviceAndShaders(features, configs, toggles));
            Step("names of feature ids (a device requested with one id each; Dawn names those it refuses)", () => session.ProbeFeatureNames(features, toggles));
        });
        return 0;
    }

    private static void Step(string title, Action action)
    {
        Console.WriteLine($"== {title}");
        try
        {
            action();
        }
        catch (Exception e)
        {
            Console.WriteLine($"  FAILED: {e.GetType().Name}: {e.Message}");
        }
    }

    private static byte* Utf8(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\0");
        var native = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(native, bytes.Length));
        return native;
    }

    private static string Describe(uint id) => $"0x{id:X8} {FeatureLabel(id)}";

    /// <summary>
    /// Names of this Dawn build's feature ids. Standard ones are <see cref="WGPUFeatureName.Name"/>. The Dawn-specific ones (0x0005xxxx)
    /// are this build's numbering, which is NOT that of current Dawn headers (there, 0x00050034 is chromium-experimental-subgroup-matrix;
    /// here it is multi-draw-indirect and subgroup matrix is 0x00050037). Ids marked "=" were named by Dawn itself in a refusal
    /// ("Requested feature FeatureName::X is not supported") by this benchmark's probe on lavapipe; the others (those lavapipe
    /// supports, so never refused) sit between confirmed neighbours in the order of Dawn's feature table and are inferred.
    /// 0x00050005 and everything from 0x0005003B on is "invalid for WGPUFeatureName" in this build.
    /// </summary>
    private static string? FeatureName(uint id) => WGPUFeatureName.Name(id) ?? (DawnFeatureNames.TryGetValue(id, out var name) ? name.TrimStart('=') : null);

    /// <summary>The name with "(inferred)" where Dawn did not confirm it, "?" where unknown.</summary>
    private static string FeatureLabel(uint id) => FeatureName(id) is not { } name ? "?"
        : DawnFeatureNames.TryGetValue(id, out var dawn) && !dawn.StartsWith('=') ? $"{name} (inferred)" : name;

    private static readonly Dictionary<uint, string> DawnFeatureNames = new()
    {
        [0x50000] = "dawn-internal-usages", [0x50001] = "dawn-multi-planar-formats", [0x50002] = "dawn-native",
        [0x50003] = "chromium-experimental-timestamp-query-inside-passes", [0x50004] = "implicit-device-synchronization",
        [0x50006] = "transient-attachments", [0x50007] = "=msaa-render-to-single-sampled", [0x50008] = "=d3d11-multithread-protected",
        [0x50009] = "=angle-texture-sharing", [0x5000A] = "=pixel-local-storage-coherent", [0x5000B] = "=pixel-local-storage-non-coherent",
        [0x5000C] = "unorm16-texture-formats", [0x5000D] = "=snorm16-texture-formats", [0x5000E] = "multi-planar-format-extended-usages",
        [0x5000F] = "=multi-planar-format-p010", [0x50010] = "host-mapped-pointer", [0x50011] = "=multi-planar-render-targets",
        [0x50012] = "=multi-planar-format-nv12a", [0x50013] = "=framebuffer-fetch", [0x50014] = "buffer-map-extended-usages",
        [0x50015] = "adapter-properties-memory-heaps", [0x50016] = "=adapter-properties-d3d", [0x50017] = "adapter-properties-vk",
        [0x50018] = "r8unorm-storage", [0x50019] = "dawn-format-capabilities", [0x5001A] = "=dawn-drm-format-capabilities",
        [0x5001B] = "=norm16-texture-formats", [0x5001C] = "=multi-planar-format-nv16", [0x5001D] = "=multi-planar-format-nv24",
        [0x5001E] = "=multi-planar-format-p210", [0x5001F] = "=multi-planar-format-p410",
        [0x50020] = "=shared-texture-memory-vk-dedicated-allocation", [0x50021] = "=shared-texture-memory-a-hardware-buffer",
        [0x50022] = "=shared-texture-memory-dma-buf", [0x50023] = "shared-texture-memory-opaque-fd",
        [0x50024] = "=shared-texture-memory-zircon-handle", [0x50025] = "=shared-texture-memory-dxgi-shared-handle",
        [0x50026] = "=shared-texture-memory-d3d11-texture-2d", [0x50027] = "=shared-texture-memory-io-surface",
        [0x50028] = "=shared-texture-memory-egl-image", [0x50029] = "=shared-fence-vk-semaphore-opaque-fd", [0x5002A] = "=shared-fence-sync-fd",
        [0x5002B] = "=shared-fence-vk-semaphore-zircon-handle", [0x5002C] = "=shared-fence-dxgi-shared-handle",
        [0x5002D] = "=shared-fence-mtl-shared-event", [0x5002E] = "=shared-buffer-memory-d3d12-resource", [0x5002F] = "static-samplers",
        [0x50030] = "y-cb-cr-vulkan-samplers", [0x50031] = "=shader-module-compilation-options", [0x50032] = "dawn-load-resolve-texture",
        [0x50033] = "=dawn-partial-load-resolve-texture", [0x50034] = "multi-draw-indirect", [0x50035] = "=dawn-texel-copy-buffer-row-alignment",
        [0x50036] = "flexible-texture-views", [0x50037] = SubgroupMatrixName, [0x50038] = "=shared-fence-egl-sync",
        [0x50039] = "dawn-device-allocator-control", [0x5003A] = "=texture-formats-tier1",
    };

    private const string SubgroupMatrixName = "=chromium-experimental-subgroup-matrix";

    /// <summary>One instance (with or without toggles) and its Vulkan adapter.</summary>
    private sealed class Session : IDisposable
    {
        private readonly InstanceHandle _instance;
        private readonly AdapterHandle _adapter;

        private Session(InstanceHandle instance, AdapterHandle adapter)
        {
            _instance = instance;
            _adapter = adapter;
        }

        public static Session? Open(WGPUDawnTogglesDescriptor* togglesOnInstance, WGPUDawnTogglesDescriptor* togglesOnAdapter)
        {
            var instanceFeatures = stackalloc uint[] { WGPUInstanceFeatureName.TimedWaitAny };
            var descriptor = new WGPUInstanceDescriptor { NextInChain = (nint)togglesOnInstance, RequiredFeatureCount = 1, RequiredFeatures = instanceFeatures };
            var instance = new InstanceHandle(Wgpu.CreateInstance(&descriptor));
            if (instance.IsInvalid)
            {
                Console.WriteLine($"  wgpuCreateInstance returned null{(togglesOnInstance is null ? "" : " with the toggles chained; retrying without them")}");
                if (togglesOnInstance is null) return null;
                descriptor.NextInChain = 0;
                instance = new InstanceHandle(Wgpu.CreateInstance(&descriptor));
                if (instance.IsInvalid)
                {
                    Console.WriteLine("  wgpuCreateInstance returned null again");
                    return null;
                }
            }
            else if (togglesOnInstance is not null)
            {
                Console.WriteLine("  instance: created with the toggles chained");
            }
            var options = new WGPURequestAdapterOptions { NextInChain = (nint)togglesOnAdapter, BackendType = WGPUBackendType.Vulkan, PowerPreference = 2 };
            var pOptions = &options;
            var result = FutureWaiter.Run(instance, "requesting a Vulkan adapter", Timeout,
                handle => Wgpu.InstanceRequestAdapter(instance.Raw, pOptions, Callbacks.ForRequest(handle)));
            if ((result.Status != WGPUStatus.Success || result.Object == 0) && togglesOnAdapter is not null)
            {
                Console.WriteLine($"  requestAdapter with the toggles chained: status {result.Status}, object {(result.Object == 0 ? "null" : "set")}, Dawn: {Message(result.Message)}; retrying without them");
                options.NextInChain = 0;
                result = FutureWaiter.Run(instance, "requesting a Vulkan adapter", Timeout,
                    handle => Wgpu.InstanceRequestAdapter(instance.Raw, pOptions, Callbacks.ForRequest(handle)));
            }
            else if (togglesOnAdapter is not null)
            {
                Console.WriteLine($"  requestAdapter with the toggles chained: status {result.Status}{(result.Message.Length > 0 ? $", Dawn: {result.Message}" : "")}");
            }
            if (result.Status != WGPUStatus.Success || result.Object == 0)
            {
                Console.WriteLine($"  no Vulkan adapter: status {result.Status}, Dawn: {Message(result.Message)}");
                instance.Dispose();
                return null;
            }
            return new Session(instance, new AdapterHandle(result.Object));
        }

        /// <summary>Prints the adapter's description and every raw feature id; returns the ids.</summary>
        public uint[] PrintAdapter()
        {
            WGPUAdapterInfo info = default;
            var status = Wgpu.AdapterGetInfo(_adapter.Raw, &info);
            if (status == WGPUStatus.Success)
            {
                Console.WriteLine($"  adapter: vendor '{info.Vendor}', architecture '{info.Architecture}', device '{info.Device}', description '{info.Description}', " +
                                  $"backend {WGPUBackendType.Name(info.BackendType)}, type {WGPUAdapterType.Name(info.AdapterType)}, vendorId 0x{info.VendorId:X4}, " +
                                  $"deviceId 0x{info.DeviceId:X4}, subgroup size {info.SubgroupMinSize}..{info.SubgroupMaxSize}");
                Wgpu.AdapterInfoFreeMembers(info);
            }
            else
            {
                Console.WriteLine($"  wgpuAdapterGetInfo: status {status}");
            }
            var ids = AdapterFeatures();
            Console.WriteLine($"  wgpuAdapterGetFeatures: {ids.Length} ids");
            foreach (var id in ids) Console.WriteLine($"    {Describe(id)}");
            Console.WriteLine($"  wgpuAdapterHasFeature(shader-f16 0x{WGPUFeatureName.ShaderF16:X2}) = {Wgpu.AdapterHasFeature(_adapter.Raw, WGPUFeatureName.ShaderF16)}, " +
                              $"(subgroups 0x{WGPUFeatureName.Subgroups:X2}) = {Wgpu.AdapterHasFeature(_adapter.Raw, WGPUFeatureName.Subgroups)}");
            return ids;
        }

        private uint[] AdapterFeatures()
        {
            WGPUSupportedFeatures supported = default;
            Wgpu.AdapterGetFeatures(_adapter.Raw, &supported);
            try
            {
                return new ReadOnlySpan<uint>((void*)supported.Features, checked((int)supported.FeatureCount)).ToArray();
            }
            finally
            {
                Wgpu.SupportedFeaturesFreeMembers(supported);
            }
        }

        /// <summary>Prints the adapter's subgroup matrix configs and returns them (none when Dawn refuses the query).</summary>
        public WGPUSubgroupMatrixConfig[] PrintSubgroupMatrixConfigs()
        {
            // A generous zeroed block: if the sType were some other Dawn struct, Dawn writes within this block, not past it.
            const int Block = 256;
            var chained = (WGPUAdapterPropertiesSubgroupMatrixConfigs*)NativeMemory.AllocZeroed(Block);
            try
            {
                chained->Chain.SType = WGPUSType.AdapterPropertiesSubgroupMatrixConfigs;
                WGPUAdapterInfo info = default;
                info.NextInChain = (nint)chained;
                var status = Wgpu.AdapterGetInfo(_adapter.Raw, &info);
                if (status != WGPUStatus.Success)
                {
                    Console.WriteLine($"  wgpuAdapterGetInfo with the configs chained: status {status} (Dawn refuses it when the adapter lacks chromium-experimental-subgroup-matrix, or for an sType it does not accept here)");
                    return [];
                }
                Console.WriteLine($"  {chained->ConfigCount} configs (M x N x K: component -> result):");
                var configs = new List<WGPUSubgroupMatrixConfig>();
                for (nuint i = 0; i < chained->ConfigCount && i < 256 && chained->Configs is not null; i++)
                {
                    var c = chained->Configs[i];
                    configs.Add(c);
                    Console.WriteLine($"    {c.M} x {c.N} x {c.K}: {WGPUSubgroupMatrixComponentType.Name(c.ComponentType)} -> {WGPUSubgroupMatrixComponentType.Name(c.ResultComponentType)}");
                }
                Wgpu.AdapterInfoFreeMembers(info);
                Wgpu.AdapterPropertiesSubgroupMatrixConfigsFreeMembers(*chained);
                return [.. configs];
            }
            finally
            {
                NativeMemory.Free(chained);
            }
        }

        /// <summary>Requests a device with <paramref name="required"/>; returns it with Dawn's status and message.</summary>
        private (DeviceHandle? Device, DeviceLoss Loss, uint Status, string Message) RequestDevice(ReadOnlySpan<uint> required, WGPUDawnTogglesDescriptor* toggles,
            bool withLimits)
        {
            WGPULimits limits;
            var haveLimits = withLimits && Wgpu.AdapterGetLimits(_adapter.Raw, &limits) == WGPUStatus.Success;
            var loss = new DeviceLoss();
            fixed (uint* pRequired = required)
            {
                var descriptor = new WGPUDeviceDescriptor
                {
                    NextInChain = (nint)toggles,
                    RequiredFeatureCount = (nuint)required.Length,
                    RequiredFeatures = pRequired,
                    RequiredLimits = haveLimits ? &limits : null,
                    DeviceLostCallbackInfo = DeviceLostCallback.Register(loss),
                };
                var pDescriptor = &descriptor;
                var result = FutureWaiter.Run(_instance, "requesting a device", Timeout,
                    handle => Wgpu.AdapterRequestDevice(_adapter.Raw, pDescriptor, Callbacks.ForRequest(handle)));
                if (result.Status != WGPUStatus.Success || result.Object == 0)
                {
                    DeviceLostCallback.Unregister(loss);
                    return (null, loss, result.Status, result.Message);
                }
                return (new DeviceHandle(result.Object), loss, result.Status, result.Message);
            }
        }

        public void DeviceAndShaders(uint[] features, WGPUSubgroupMatrixConfig[] configs, WGPUDawnTogglesDescriptor* toggles)
        {
            var wanted = new[] { WGPUFeatureName.ShaderF16, WGPUFeatureName.Subgroups }
                .Concat(features.Where(f => FeatureName(f) == SubgroupMatrixName.TrimStart('=')))
                .Where(features.Contains).ToArray();
            (uint[] Ids, string What)[] attempts =
            [
                (features, $"all {features.Length} listed features"),
                (wanted, $"only {string.Join(", ", wanted.Select(Describe))}"),
                ([], "no features"),
            ];
            DeviceHandle? device = null;
            var loss = new DeviceLoss();
            foreach (var (ids, what) in attempts)
            {
                var (created, createdLoss, status, message) = RequestDevice(ids, toggles, withLimits: true);
                Console.WriteLine($"  device requiring {what}: {(created is null ? $"FAILED (status {status}): {Message(message)}" : "OK")}");
                if (created is null) continue;
                device = created;
                loss = createdLoss;
                break;
            }
            if (device is null) return;
            try
            {
                WGPUSupportedFeatures supported = default;
                Wgpu.DeviceGetFeatures(device.Raw, &supported);
                var enabled = new ReadOnlySpan<uint>((void*)supported.Features, checked((int)supported.FeatureCount)).ToArray();
                Wgpu.SupportedFeaturesFreeMembers(supported);
                Console.WriteLine($"  device features ({enabled.Length}): {string.Join(", ", enabled.Select(Describe))}");
                WGPUAdapterInfo info = default;
                var subgroupMax = 32u;
                if (Wgpu.AdapterGetInfo(_adapter.Raw, &info) == WGPUStatus.Success)
                {
                    subgroupMax = Math.Max(info.SubgroupMaxSize, 1);
                    Wgpu.AdapterInfoFreeMembers(info);
                }
                foreach (var (name, code) in Programs(subgroupMax, configs)) Compile(device, name, code);
                Wgpu.InstanceProcessEvents(_instance.Raw);
                if (loss.Lost is { } lost) Console.WriteLine($"  device was lost: {lost.ReasonName}: {lost.Message}");
            }
            finally
            {
                device.Dispose();
                DeviceLostCallback.Unregister(loss);
            }
        }

        /// <summary>Creates the shader module, then the compute pipeline, each inside error scopes; prints OK or Dawn's message.</summary>
        private void Compile(DeviceHandle device, string name, string code)
        {
            var source = Encoding.UTF8.GetBytes(code + "\0");
            var label = Encoding.UTF8.GetBytes(name + "\0");
            var entry = "main\0"u8.ToArray();
            fixed (byte* pCode = source)
            fixed (byte* pLabel = label)
            fixed (byte* pEntry = entry)
            {
                var wgsl = new WGPUShaderSourceWGSL { Chain = new WGPUChainedStruct { SType = WGPUSType.ShaderSourceWGSL }, Code = WGPUStringView.Of(pCode) };
                var moduleDescriptor = new WGPUShaderModuleDescriptor { NextInChain = (nint)(&wgsl), Label = WGPUStringView.Of(pLabel) };
                var pModuleDescriptor = &moduleDescriptor;
                nint module = 0;
                var moduleError = InScopes(device, () => module = Wgpu.DeviceCreateShaderModule(device.Raw, pModuleDescriptor));
                string? pipelineError = null;
                nint pipeline = 0;
                if (moduleError is null && module != 0)
                {
                    var pipelineDescriptor = new WGPUComputePipelineDescriptor
                    {
                        Label = WGPUStringView.Of(pLabel),
                        Compute = new WGPUComputeState { Module = module, EntryPoint = WGPUStringView.Of(pEntry) },
                    };
                    var pPipelineDescriptor = &pipelineDescriptor;
                    pipelineError = InScopes(device, () => pipeline = Wgpu.DeviceCreateComputePipeline(device.Raw, pPipelineDescriptor));
                }
                var verdict = moduleError is not null ? $"FAILED at shader module: {moduleError}"
                    : module == 0 ? "FAILED: shader module is null and no error was reported"
                    : pipelineError is not null ? $"FAILED at compute pipeline: {pipelineError}"
                    : pipeline == 0 ? "FAILED: pipeline is null and no error was reported"
                    : "OK";
                Console.WriteLine($"  {name,-34} {verdict}");
                if (pipeline != 0) Wgpu.ComputePipelineRelease(pipeline);
                if (module != 0) Wgpu.ShaderModuleRelease(module);
            }
        }

        /// <summary>Runs <paramref name="action"/> in validation, out-of-memory and internal error scopes; returns the errors or null.</summary>
        private string? InScopes(DeviceHandle device, Action action)
        {
            Wgpu.DevicePushErrorScope(device.Raw, WGPUErrorFilter.Validation);
            Wgpu.DevicePushErrorScope(device.Raw, WGPUErrorFilter.OutOfMemory);
            Wgpu.DevicePushErrorScope(device.Raw, WGPUErrorFilter.Internal);
            string? thrown = null;
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = $"{e.GetType().Name}: {e.Message}";
            }
            var errors = new List<string>();
            if (thrown is not null) errors.Add(thrown);
            for (var i = 0; i < 3; i++)
            {
                var result = FutureWaiter.Run(_instance, "pop error scope", Timeout, handle => Wgpu.DevicePopErrorScope(device.Raw, Callbacks.ForPopErrorScope(handle)));
                if (result.ErrorType != WGPUErrorType.NoError && result.ErrorType != 0)
                    errors.Add($"{WGPUErrorType.Name(result.ErrorType)}: {result.Message}");
            }
            return errors.Count > 0 ? string.Join(" | ", errors) : null;
        }

        /// <summary>
        /// Requests a device with one feature id at a time and prints Dawn's answer: an unsupported id is named in the refusal, an
        /// id that is no feature is reported invalid. Covers 0x01-0x20 and 0x00050000-0x0005005F.
        /// </summary>
        public void ProbeFeatureNames(uint[] features, WGPUDawnTogglesDescriptor* toggles)
        {
            var ids = Enumerable.Range(1, 0x20).Select(i => (uint)i).Concat(Enumerable.Range(0x50000, 0x60).Select(i => (uint)i));
            var invalid = new List<uint>();
            void FlushInvalid()
            {
                if (invalid.Count == 0) return;
                var range = invalid.Count == 1 ? $"0x{invalid[0]:X8}" : $"0x{invalid[0]:X8}-0x{invalid[^1]:X8}";
                Console.WriteLine($"  {range,-67} refused: not a feature id in this build (\"invalid for WGPUFeatureName\")");
                invalid.Clear();
            }
            foreach (var id in ids)
            {
                string answer;
                if (features.Contains(id))
                {
                    answer = "listed by the adapter";
                }
                else
                {
                    var (device, loss, status, message) = RequestDevice([id], toggles, withLimits: false);
                    if (device is not null)
                    {
                        answer = "device created although the adapter does not list it";
                        device.Dispose();
                        DeviceLostCallback.Unregister(loss);
                    }
                    else if (message.Contains("is invalid for WGPUFeatureName", StringComparison.Ordinal) && FeatureName(id) is null)
                    {
                        if (invalid.Count > 0 && invalid[^1] != id - 1) FlushInvalid();
                        invalid.Add(id);
                        continue;
                    }
                    else
                    {
                        answer = Refusal(status, message);
                    }
                }
                FlushInvalid();
                Console.WriteLine($"  0x{id:X8} {FeatureLabel(id),-56} {answer}");
            }
            FlushInvalid();
        }

        public void Dispose()
        {
            _adapter.Dispose();
            _instance.Dispose();
        }
    }

    /// <summary>Dawn's refusal of one feature id, short: the name Dawn gives it, "no such id", or the whole message.</summary>
    private static string Refusal(uint status, string message)
    {
        const string Named = "Requested feature FeatureName::";
        var at = message.IndexOf(Named, StringComparison.Ordinal);
        if (at >= 0)
        {
            var rest = message[(at + Named.Length)..];
            var end = rest.IndexOf(' ', StringComparison.Ordinal);
            var name = end < 0 ? rest : rest[..end];
            var why = rest.Contains("is not supported", StringComparison.Ordinal) ? "not supported" : rest[(end + 1)..].Split('\n')[0];
            return $"refused, Dawn calls it {name}: {why}";
        }
        if (message.Contains("is invalid for WGPUFeatureName", StringComparison.Ordinal)) return "refused: not a feature id in this build";
        return $"refused (status {status}): {Message(message)}";
    }

    private static string Message(string message) => message.Length > 0 ? message.ReplaceLineEndings(" / ") : "no message";

    /// <summary>The test programs: each is one compute entry point "main".</summary>
    private static List<(string Name, string Code)> Programs(uint subgroupMax, WGPUSubgroupMatrixConfig[] configs)
    {
        var wg = Math.Max(64u, subgroupMax).ToString(CultureInfo.InvariantCulture);  // a subgroup-matrix shader needs x % maxSubgroupSize == 0
        var programs = new List<(string, string)>
        {
            ("f32 baseline", $$"""
                @group(0) @binding(0) var<storage, read_write> data : array<f32>;
                @compute @workgroup_size(64)
                fn main(@builtin(global_invocation_id) id : vec3<u32>) { data[id.x] = data[id.x] * 2.0; }
                """),
            ("f16 storage (enable f16)", $$"""
                enable f16;
                @group(0) @binding(0) var<storage, read_write> data : array<f16>;
                @compute @workgroup_size(64)
                fn main(@builtin(global_invocation_id) id : vec3<u32>) { data[id.x] = data[id.x] * 2.0h; }
                """),
            ("subgroupAdd f32 (enable subgroups)", $$"""
                enable subgroups;
                @group(0) @binding(0) var<storage, read_write> data : array<f32>;
                @compute @workgroup_size(64)
                fn main(@builtin(global_invocation_id) id : vec3<u32>) { data[id.x] = subgroupAdd(data[id.x]); }
                """),
            ("subgroupAdd f16", $$"""
                enable f16;
                enable subgroups;
                @group(0) @binding(0) var<storage, read_write> data : array<f16>;
                @compute @workgroup_size(64)
                fn main(@builtin(global_invocation_id) id : vec3<u32>) { data[id.x] = subgroupAdd(data[id.x]); }
                """),
        };
        // Shapes: left<T, K, M> (K columns, M rows), right<T, N, K>, result<R, N, M>; load/store(ptr, offset, col_major, stride).
        // The fixed shapes first, then every config the adapter reported that is not one of them.
        var shapes = new List<(string T, string R, uint M, uint N, uint K, string Origin)>
        {
            ("f16", "f16", 8, 8, 8, ""), ("f16", "f32", 8, 8, 8, ""), ("f32", "f32", 8, 8, 8, ""),
            ("f16", "f16", 16, 16, 16, ""), ("f16", "f32", 16, 16, 16, ""), ("f16", "f32", 16, 8, 16, ""),
        };
        foreach (var config in configs)
        {
            var shape = (WGPUSubgroupMatrixComponentType.Name(config.ComponentType), WGPUSubgroupMatrixComponentType.Name(config.ResultComponentType),
                config.M, config.N, config.K);
            if (!shapes.Any(s => (s.T, s.R, s.M, s.N, s.K) == shape)) shapes.Add((shape.Item1, shape.Item2, shape.M, shape.N, shape.K, " (adapter config)"));
        }
        foreach (var (t, r, m, n, k, origin) in shapes)
        {
            var enableF16 = t == "f16" || r == "f16" ? "enable f16;\n" : "";
            // 8-bit matrices are loaded from and stored to 32-bit words.
            static string Element(string type) => type switch { "u8" => "u32", "i8" => "i32", _ => type };
            programs.Add(($"subgroup matrix {t}->{r} {m}x{n}x{k}{origin}", enableF16 + $$"""
                enable chromium_experimental_subgroup_matrix;
                @group(0) @binding(0) var<storage, read> a : array<{{Element(t)}}>;
                @group(0) @binding(1) var<storage, read> b : array<{{Element(t)}}>;
                @group(0) @binding(2) var<storage, read_write> c : array<{{Element(r)}}>;
                @compute @workgroup_size({{wg}})
                fn main() {
                  let l = subgroupMatrixLoad<subgroup_matrix_left<{{t}}, {{k}}, {{m}}>>(&a, 0u, false, {{k}}u);
                  let rm = subgroupMatrixLoad<subgroup_matrix_right<{{t}}, {{n}}, {{k}}>>(&b, 0u, false, {{n}}u);
                  var acc = subgroup_matrix_result<{{r}}, {{n}}, {{m}}>();
                  acc = subgroupMatrixMultiplyAccumulate(l, rm, acc);
                  subgroupMatrixStore(&c, 0u, acc, false, {{n}}u);
                }
                """));
        }
        // The newer spelling of the loads (a row_major template argument instead of the col_major bool), in case this build has it.
        programs.Add(("subgroup matrix f16->f32 8x8x8 (row_major loads)", $$"""
            enable f16;
            enable chromium_experimental_subgroup_matrix;
            @group(0) @binding(0) var<storage, read> a : array<f16>;
            @group(0) @binding(1) var<storage, read> b : array<f16>;
            @group(0) @binding(2) var<storage, read_write> c : array<f32>;
            @compute @workgroup_size({{wg}})
            fn main() {
              let l = subgroupMatrixLoad<subgroup_matrix_left<f16, 8, 8>, row_major>(&a, 0u, 8u);
              let rm = subgroupMatrixLoad<subgroup_matrix_right<f16, 8, 8>, row_major>(&b, 0u, 8u);
              var acc = subgroup_matrix_result<f32, 8, 8>();
              acc = subgroupMatrixMultiplyAccumulate(l, rm, acc);
              subgroupMatrixStore(&c, 0u, acc, false, 8u);
            }
            """));
        return programs;
    }
}
