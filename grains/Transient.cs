namespace OkrGrid.Engine;

/// <summary>
/// Retries a read that failed for a passing reason — a storage time-out in a burst of activations, a call that
/// timed out — a few times before giving up. A refusal (<see cref="OkrRejectedException"/>) is an answer, not a
/// failure, and is never retried.
/// </summary>
internal static class Transient
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];

    public static async Task<T> RetryAsync<T>(Func<Task<T>> read)
    {
        for (int attempt = 0; ; attempt++)
        {
            try { return await read(); }
            catch (Exception e) when (e is not OkrRejectedException && attempt < Backoff.Length)
            {
                await Task.Delay(Backoff[attempt]);
            }
        }
    }
}
