namespace Chat.Bench;

/// <summary>What a probe measured, each sample with the time it was taken; read as the median over a window.</summary>
internal sealed class ProbeSamples
{
    private readonly List<(long At, double Milliseconds)> _samples = [];

    /// <summary>A point in time for <see cref="MedianSince"/>.</summary>
    public static long Mark() => System.Diagnostics.Stopwatch.GetTimestamp();

    public void Add(double milliseconds)
    {
        lock (_samples)
        {
            _samples.Add((Mark(), milliseconds));
        }
    }

    /// <summary>The median sample, in ms, since <paramref name="since"/> (a <see cref="Mark"/>); NaN without samples.</summary>
    public double MedianSince(long since)
    {
        List<double> window;
        lock (_samples)
        {
            window = [.. _samples.Where(s => s.At >= since).Select(s => s.Milliseconds)];
        }
        return window.Count == 0 ? double.NaN : BenchApp.Percentile(window, 0.5);
    }
}
