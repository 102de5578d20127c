namespace SplitCompute.Gateway.Connections;

/// <summary>
/// A deadline on a whole request body (<see cref="TransferLimits.BodyTimeout"/>): a body that keeps just above the minimum rate
/// still ends in bounded time. Reads that complete at once (the usual case: the body arrived with the headers) cost nothing extra;
/// one that must wait gets the time left, and when it runs out the connection is aborted (as nginx closes on client_body_timeout).
/// </summary>
internal sealed class BodyDeadline(RequestDelegate next, TransferLimits limits, TimeProvider time)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is 0 || (request.ContentLength is null && !HttpMethods.IsPost(request.Method) && !HttpMethods.IsPut(request.Method)))
            return next(context);
        request.Body = new DeadlineStream(request.Body, context, time, time.GetTimestamp() + (long)(limits.BodyTimeout.TotalSeconds * time.TimestampFrequency), limits.BodyTimeout);
        return next(context);
    }

    /// <summary>Thrown into the reader when the deadline passes; the connection is already aborted.</summary>
    public sealed class ExceededException(TimeSpan limit)
        : OperationCanceledException($"the request body did not arrive within {limit.TotalSeconds:0} s (Gateway:BodyTimeoutSeconds); the connection was closed");

    private sealed class DeadlineStream(Stream inner, HttpContext context, TimeProvider time, long deadline, TimeSpan limit) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(buffer, cancellationToken);
            if (read.IsCompleted) return await read.ConfigureAwait(false);
            var left = deadline - time.GetTimestamp();
            if (left <= 0) throw Exceeded();
            try
            {
                return await read.AsTask().WaitAsync(TimeSpan.FromSeconds((double)left / time.TimestampFrequency), time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw Exceeded();
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous reads of a request body are not allowed");
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private ExceededException Exceeded()
        {
            context.Abort();  // the pending read ends with the connection; nothing more is read from this client
            return new ExceededException(limit);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
