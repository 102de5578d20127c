namespace SplitCompute.Gateway.Access;

/// <summary>Waiting for a limit check that a caller may give up on.</summary>
internal static class AdmissionWait
{
    /// <summary>
    /// Waits for the check, and when the caller gives up first but the check admitted the request, ends the lease it was given:
    /// a cancelled request must not hold a slot until it expires.
    /// </summary>
    public static async Task<LimitDecision> AwaitAsync(Task<LimitDecision> decision, CancellationToken cancellationToken)
    {
        try
        {
            return await decision.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = decision.ContinueWith(static d => d.IsCompletedSuccessfully ? d.Result.Lease.DisposeAsync().AsTask() : Task.CompletedTask,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
            throw;
        }
    }
}
