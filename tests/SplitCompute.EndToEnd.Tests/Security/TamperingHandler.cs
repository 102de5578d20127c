using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// A man in the middle between an edge client and the real gateway: rewrites the manifest inside every hidden-state frame with
/// <paramref name="tamper"/> (the hidden state itself is kept), and passes everything else through untouched.
/// </summary>
internal sealed class TamperingHandler(Func<ShardManifest, ShardManifest> tamper) : DelegatingHandler(new SocketsHttpHandler())
{
    public int Tampered { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri!.AbsolutePath != "/v1/embeddings" || !response.IsSuccessStatusCode) return response;
        var frame = FrameReader.Read(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        if (frame.Kind == FrameKind.Hidden)
        {
            frame = HiddenStateFrame.Hidden(frame.Model, frame.Revision, frame.LayersDone, frame.LayerCount, frame.BatchSize, frame.SequenceLength,
                frame.Channels, [.. frame.Lengths], frame.Data, tamper(frame.Manifest!), frame.DType, frame.RequestId, frame.Pooling);
            Tampered++;
        }
        var content = new ByteArrayContent(FrameWriter.ToArray(frame));
        foreach (var (name, values) in response.Content.Headers)
        {
            if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) content.Headers.TryAddWithoutValidation(name, values);
        }
        response.Content = content;
        return response;
    }
}
