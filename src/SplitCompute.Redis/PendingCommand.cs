using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

/// <summary>
/// One command on its way: the encoded bytes, and the completion the read loop resolves with its reply. Continuations
/// run asynchronously so a caller's code never runs on (and stalls) the read loop.
/// </summary>
internal sealed class PendingCommand : TaskCompletionSource<RespValue>
{
    public PendingCommand(string name, byte[] payload, CancellationToken cancellationToken)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Name = name;
        Payload = payload;
        CancellationToken = cancellationToken;
    }

    /// <summary>The command name, for error messages.</summary>
    public string Name { get; }

    public byte[] Payload { get; }

    /// <summary>The caller's token: a command cancelled before it is written is dropped instead of sent.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the write; the timeout is measured from it.</summary>
    public long SentAt { get; set; }
}
