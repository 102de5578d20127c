using System.Globalization;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Telemetry;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Http;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// POST /v1/feedback: an edge client reports what one of its split decisions really cost (docs/protocol.md §5). The body is
/// bounded and validated strictly; every refusal is OpenAI's error object with the reason (400 malformed, 403 another client's
/// decision, 404 unknown or spent decision, 413 too large, 415 not JSON). Accepted feedback updates only the sender's own
/// profile, and the answer is that profile.
/// </summary>
internal sealed class FeedbackEndpoint(OutstandingDecisions decisions, ClientProfileStore profiles, GatewayTelemetry telemetry)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var clientId = ClientIdReader.ReadScoped(context, out var problem);
        if (clientId is null)
        {
            await Problem(context, 400, problem ?? $"{HeaderNames.Client} is required: the id the client sent with its embeddings request").ConfigureAwait(false);
            return;
        }
        if (!IsJson(request.ContentType))
        {
            await Problem(context, 415, $"Content-Type must be application/json, found {ClientIdReader.Show(request.ContentType)}").ConfigureAwait(false);
            return;
        }
        byte[]? body;
        try
        {
            body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, EdgeFeedbackLimits.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await Problem(context, ex.StatusCode, $"the body could not be read: {ex.Message}").ConfigureAwait(false);
            return;
        }
        if (body is null)
        {
            await Problem(context, 413, $"the body exceeds the limit of {EdgeFeedbackLimits.MaxBodyBytes} bytes").ConfigureAwait(false);
            return;
        }
        EdgeFeedback feedback;
        try
        {
            feedback = EdgeFeedbackCodec.Parse(body);
        }
        catch (ProtocolException ex)
        {
            await Problem(context, 400, ex.Message).ConfigureAwait(false);
            return;
        }

        switch (decisions.Claim(feedback.DecisionId, clientId, out var issued))
        {
            case DecisionClaim.Unknown:
                await Problem(context, 404, $"decision {feedback.DecisionId} is unknown, expired or already reported").ConfigureAwait(false);
                return;
            case DecisionClaim.OtherClient:
                await Problem(context, 403, $"decision {feedback.DecisionId} was not issued to client {clientId}").ConfigureAwait(false);
                return;
        }
        if (issued!.K != feedback.K || issued.N != feedback.N || issued.Model != feedback.Model)
        {
            // Claimed already: a report that contradicts the decision is spent, not retried with other numbers.
            await Problem(context, 400, string.Create(CultureInfo.InvariantCulture,
                $"the feedback says model {feedback.Model}, k={feedback.K}, n={feedback.N}; decision {feedback.DecisionId} was model {issued.Model}, k={issued.K}, n={issued.N}")).ConfigureAwait(false);
            return;
        }
        var profile = profiles.Record(issued, feedback);
        telemetry.EdgeReport(issued, feedback);
        await Results.Json(new
        {
            client = clientId,
            samples = profile.Samples,
            edge_gflops = profile.EdgeGflops,
            edge_ms_per_layer = profile.EdgeMsPerLayer,
            downlink_mbps = profile.DownlinkMbps,
            fallbacks = profile.Fallbacks,
        }).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static Task Problem(HttpContext context, int status, string detail) => Api.StatusErrors.WriteAsync(context, status, detail);
}
