using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Drills;

/// <summary>The fault drill, one round of every fault kind, run alone so that nothing else competes for the two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DrillCollection
{
    public const string Name = "Drill";
}

[Collection(DrillCollection.Name)]
public sealed partial class DrillTests
{
    [Fact]
    public async Task One_round_of_every_fault_under_load_loses_duplicates_and_skips_nothing_acknowledged()
    {
        var (lines, exitCode) = await BenchRun.RunAsync(TimeSpan.FromMinutes(15), "drill", "--quick");
        var summary = lines.LastOrDefault(l => l.StartsWith("drill: ", StringComparison.Ordinal) && l.Contains(" faults, ", StringComparison.Ordinal));
        var faults = string.Join('\n', lines.Where(l => l.StartsWith("drill: round", StringComparison.Ordinal)));

        Assert.True(summary is not null, string.Join('\n', lines.TakeLast(60)));
        var m = SummaryPattern().Match(summary);
        Assert.True(m.Success, summary);
        Assert.Equal("7", m.Groups["faults"].Value);
        Assert.True(long.Parse(m.Groups["acked"].Value, System.Globalization.CultureInfo.InvariantCulture) > 1000, summary);
        Assert.Equal("0", m.Groups["lost"].Value);
        Assert.Equal("0", m.Groups["duplicated"].Value);
        Assert.Equal("0", m.Groups["gaps"].Value);
        Assert.True(0 == exitCode, $"{summary}\n{faults}");
    }

    [GeneratedRegex(@"^drill: (?<faults>\d+) faults, acked (?<acked>\d+), lost (?<lost>\d+), duplicated (?<duplicated>\d+), gaps (?<gaps>\d+), ")]
    private static partial Regex SummaryPattern();
}
