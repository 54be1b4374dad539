namespace ChatAspire.Tests.Infrastructure;

public static class Poll
{
    /// <summary>Waits until <paramref name="condition"/> holds, failing the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "condition")
    {
        Assert.True(await PrometheusClient.EventuallyAsync(condition, timeout), $"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.");
    }
}
