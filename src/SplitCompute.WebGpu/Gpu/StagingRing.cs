using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// Uploads through a few staging buffers (MapWrite | CopySrc) that the device keeps for its lifetime: the caller fills a
/// slot's mapping directly (a copy from the file mapping, or a precision conversion), the slot is unmapped and copied to its
/// destinations by the GPU, and re-mapped in the background while the next slots are filled. Why not queue.writeBuffer:
/// for a write above 4 MiB Dawn creates (and zero-fills, and later frees) a staging buffer of that size every time, which costs
/// more than the copy itself (WEBGPU.md: 150-170 ms for a first 60 MB write); here the staging memory is allocated once,
/// conversion writes straight into it, and filling overlaps the GPU's copies. An upload (a backend's weights) ends with
/// <see cref="Flush"/>; one that fails discards what it had queued. Not thread-safe: callers hold the device gate.
/// </summary>
internal sealed unsafe class StagingRing : IDisposable
{
    public const int SlotCount = 4;
    public const int SlotBytes = 8 << 20;

    private readonly WebGpuDevice _device;
    private readonly Slot[] _slots = new Slot[SlotCount];
    private int _current;

    public StagingRing(WebGpuDevice device)
    {
        _device = device;
        try
        {
            for (var i = 0; i < SlotCount; i++)
            {
                _slots[i] = new Slot(CreateSlot(device, i));
                if (_slots[i].Mapped == null) throw new WebGpuException($"staging slot {i}: wgpuBufferGetMappedRange returned null after mappedAtCreation");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="target"/>.Length bytes: the destination's bytes from <paramref name="offset"/> on (a multiple of 4).</summary>
    public delegate void Filler(Span<byte> target, long offset);

    /// <summary>
    /// Queues <paramref name="bytes"/> bytes for <paramref name="destination"/> (from its start), produced by <paramref name="fill"/>
    /// in pieces of at most a slot. The copies run when their slot is full or at <see cref="Flush"/>; a trailing piece that is
    /// not whole 4-byte words is padded with zeros (the destination is rounded up the same way, <see cref="GpuBuffer.Round"/>).
    /// </summary>
    public void Write(GpuBuffer destination, long bytes, Filler fill)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(fill);
        if (bytes < 0 || (ulong)((bytes + 3) & ~3L) > destination.Size)
            throw new ArgumentException($"staging {bytes} bytes for '{destination.Label}' ({destination.Size} bytes): out of range", nameof(bytes));
        var done = 0L;
        try
        {
            while (done < bytes)
            {
                var slot = Writable($"uploading '{destination.Label}'");
                var piece = (int)Math.Min(SlotBytes - slot.Used, bytes - done);  // slot.Used is whole words, so done stays a multiple of 4
                var target = new Span<byte>(slot.Mapped + slot.Used, piece);
                fill(target, done);
                var words = (piece + 3) & ~3;
                new Span<byte>(slot.Mapped + slot.Used + piece, words - piece).Clear();
                slot.Copies.Add(new Copy(destination, (ulong)done, (ulong)slot.Used, (ulong)words));
                slot.Used += words;
                done += piece;
                if (slot.Used == SlotBytes) Seal(slot);
            }
        }
        catch
        {
            Discard();
            throw;
        }
    }

    /// <summary>
    /// Drops the copies queued but not yet submitted: an upload that failed (here or in its caller) disposes its destinations,
    /// and nothing of it may reach the GPU with the next upload's submission.
    /// </summary>
    public void Discard() => _slots[_current].Discard();

    /// <summary>Submits what is queued and waits until every copy has finished on the GPU (every slot is mapped again).</summary>
    public void Flush(string what)
    {
        var slot = _slots[_current];
        if (slot.Used > 0) Seal(slot);
        foreach (var each in _slots) Remapped(each, what);
    }

    /// <summary>The slot being filled, with room left: a full one is sealed and the next is waited for (it re-maps once its copy ran).</summary>
    private Slot Writable(string what)
    {
        var slot = _slots[_current];
        if (slot.Mapped != null && slot.Used < SlotBytes) return slot;
        if (slot.Mapped != null) Seal(slot);
        slot = _slots[_current];
        Remapped(slot, what);
        return slot;
    }

    /// <summary>Unmaps the slot, copies its pieces to their destinations in one submission, starts re-mapping it and moves on.</summary>
    private void Seal(Slot slot)
    {
        var label = $"staging slot {_current}: {slot.Copies.Count} copies, {slot.Used} bytes";
        Wgpu.BufferUnmap(slot.Buffer.Raw);
        slot.Mapped = null;
        var copies = slot.Copies.ToArray();
        slot.Copies.Clear();
        slot.Used = 0;
        _current = (_current + 1) % SlotCount;
        using (var recorder = new CommandRecorder(_device, label))
        {
            foreach (var copy in copies) recorder.Copy(slot.Buffer, copy.SourceOffset, copy.Destination, copy.DestinationOffset, copy.Bytes);
            recorder.Submit();
        }
        slot.Remap = PendingFuture.Start(_device.Instance, $"re-mapping {label}",
            handle => Wgpu.BufferMapAsync(slot.Buffer.Raw, WGPUMapMode.Write, 0, SlotBytes, Callbacks.ForStatus(handle)));
    }

    /// <summary>Waits for the slot's re-mapping (its copies are then done on the GPU) and takes its pointer again.</summary>
    private void Remapped(Slot slot, string what)
    {
        if (slot.Mapped != null) return;
        slot.Remap ??= PendingFuture.Start(_device.Instance, $"re-mapping a staging slot ({what})",  // a submission failed before it was started
            handle => Wgpu.BufferMapAsync(slot.Buffer.Raw, WGPUMapMode.Write, 0, SlotBytes, Callbacks.ForStatus(handle)));
        var result = slot.Remap.Wait(_device.WaitTimeout);
        slot.Remap = null;
        _device.ThrowIfLost(what);  // a lost device reports nothing else reliably
        if (result.Status != WGPUStatus.Success) throw new WebGpuException($"{what}: mapping a staging buffer failed (status {result.Status}): {result.Message}");
        slot.Mapped = (byte*)Wgpu.BufferGetMappedRange(slot.Buffer.Raw, 0, SlotBytes);
        if (slot.Mapped == null) throw new WebGpuException($"{what}: wgpuBufferGetMappedRange returned null for a staging buffer");
    }

    private static BufferHandle CreateSlot(WebGpuDevice device, int index)
    {
        var descriptor = new WGPUBufferDescriptor
        {
            Label = default,
            Usage = WGPUBufferUsage.MapWrite | WGPUBufferUsage.CopySrc,
            Size = SlotBytes,
            MappedAtCreation = 1,
        };
        var pDescriptor = &descriptor;
        return device.Checked($"creating staging slot {index} ({SlotBytes} bytes)", () => new BufferHandle(Wgpu.DeviceCreateBuffer(device.Device.Raw, pDescriptor)));
    }

    public void Dispose()
    {
        foreach (var slot in _slots) slot?.Buffer.Dispose();
    }

    private readonly record struct Copy(GpuBuffer Destination, ulong DestinationOffset, ulong SourceOffset, ulong Bytes);

    private sealed class Slot(BufferHandle buffer)
    {
        public BufferHandle Buffer { get; } = buffer;

        /// <summary>The mapping while the slot is writable; null while its copies are in flight.</summary>
        public byte* Mapped { get; set; } = (byte*)Wgpu.BufferGetMappedRange(buffer.Raw, 0, SlotBytes);

        public PendingFuture? Remap { get; set; }

        public int Used { get; set; }

        public List<Copy> Copies { get; } = [];

        public void Discard()
        {
            Copies.Clear();
            Used = 0;
        }
    }
}
