using System.Globalization;
using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Drills;

/// <summary>Three minutes of the soak (the full run is an hour, bench/results/soak.md): the mixed load as shipped loses nothing and errs nowhere.</summary>
[Collection(DrillCollection.Name)]
public sealed partial class SoakTests
{
    [Fact]
    public async Task Three_minutes_of_mixed_load_as_shipped_end_without_a_single_error()
    {
        var (lines, _) = await BenchRun.RunAsync(TimeSpan.FromMinutes(12), "soak", "--minutes", "3");

        var summary = lines.LastOrDefault(l => l.StartsWith("soak: 3 min, ", StringComparison.Ordinal));
        Assert.True(summary is not null, string.Join('\n', lines.TakeLast(40)));
        var m = SummaryPattern().Match(summary);
        Assert.True(m.Success, summary);
        // The memory, latency and GC targets are for the hour-long run; three minutes are mostly warm-up.
        Assert.Equal("0", m.Groups["errors"].Value);
        Assert.True(double.Parse(m.Groups["last"].Value, CultureInfo.InvariantCulture) > 0, summary);
    }

    [GeneratedRegex(@"^soak: 3 min, rss growth -?[\d.]+ %, p99 first [\d.]+ ms last (?<last>[\d.]+) ms, max gc pause [\d.]+ ms, errors (?<errors>\d+)$")]
    private static partial Regex SummaryPattern();
}
