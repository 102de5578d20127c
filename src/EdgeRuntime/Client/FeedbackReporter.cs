using System.Net.Http.Headers;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// Posts an edge client's observed timings for one split decision to the gateway (POST /v1/feedback), so the planner can use
/// this device's real speed for its next requests. Best effort with a short timeout: feedback never fails or delays an
/// answer by more than that, and the outcome is returned for the caller to show.
/// </summary>
internal sealed class FeedbackReporter(HttpClient http, string clientId, TimeSpan timeout)
{
    public const string Path = "/v1/feedback";

    /// <summary>"accepted", or why not.</summary>
    public async Task<string> SendAsync(EdgeFeedback feedback, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(EdgeFeedbackCodec.ToJson(feedback)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(HeaderNames.Client, clientId);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return "accepted";
            var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            return $"refused: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"not delivered ({ex.GetType().Name}: {ex.Message})";
        }
    }
}
