namespace ChatAspire.Rules;

/// <summary>
/// A file uploaded a moment ago reaches the other services through its event, a little later than its uploader may
/// use it: a lookup that does not find it yet looks again for a short while before answering that it does not exist.
/// </summary>
public static class NewFiles
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Runs <paramref name="find"/> until <paramref name="found"/> holds or <paramref name="wait"/> has passed; returns the last answer.</summary>
    public static async Task<T> WaitAsync<T>(Func<CancellationToken, Task<T>> find, Func<T, bool> found, TimeSpan wait, TimeProvider clock, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + wait;
        var result = await find(ct);
        while (!found(result) && clock.GetUtcNow() < deadline)
        {
            await Task.Delay(PollInterval, clock, ct);
            result = await find(ct);
        }
        return result;
    }
}
