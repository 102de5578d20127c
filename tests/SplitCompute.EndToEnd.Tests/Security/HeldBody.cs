using System.Net;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// A request body that sends its first byte and then waits until <see cref="Release"/>: the request is in flight at the
/// gateway (its concurrency slot taken) for exactly as long as the test wants, with no timing guesswork.
/// </summary>
internal sealed class HeldBody(string json) : HttpContent
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _bytes = System.Text.Encoding.UTF8.GetBytes(json);

    /// <summary>Completes once the first byte is on the wire.</summary>
    public Task Started => _started.Task;

    public void Release() => _release.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(_bytes.AsMemory(0, 1));
        await stream.FlushAsync();
        _started.TrySetResult();
        await _release.Task;
        await stream.WriteAsync(_bytes.AsMemory(1));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _bytes.Length;
        return true;
    }
}
