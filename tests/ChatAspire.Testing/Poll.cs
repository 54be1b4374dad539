namespace ChatAspire.Testing;

/// <summary>Waiting for something that happens on its own time (a replica to be ready, a document to be ingested).</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>True once <paramref name="condition"/> holds, false if it still does not after <paramref name="timeout"/>.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(Interval);
        }
        return await condition();
    }

    /// <summary>Waits until <paramref name="condition"/> holds; a <see cref="TimeoutException"/> naming <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "condition")
    {
        if (!await EventuallyAsync(condition, timeout))
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.");
        }
    }
}
