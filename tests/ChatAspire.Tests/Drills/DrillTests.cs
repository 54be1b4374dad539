using System.Diagnostics;
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
        var bench = RepoPaths.Combine("bench", "Chat.Bench", "bin", RepoPaths.Configuration, "net10.0", "Chat.Bench.dll");
        Assert.True(File.Exists(bench), $"{bench} is built with the solution");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (var arg in (string[])[bench, "drill", "--quick"])
        {
            start.ArgumentList.Add(arg);
        }
        using var drill = Process.Start(start)!;
        var output = new List<string>();
        drill.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        drill.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        drill.BeginOutputReadLine();
        drill.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await drill.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!drill.HasExited)
            {
                drill.Kill(entireProcessTree: true);
            }
        }
        drill.WaitForExit(); // the output is complete
        string[] lines;
        lock (output)
        {
            lines = [.. output];
        }
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
        Assert.True(0 == drill.ExitCode, $"{summary}\n{faults}");
    }

    [GeneratedRegex(@"^drill: (?<faults>\d+) faults, acked (?<acked>\d+), lost (?<lost>\d+), duplicated (?<duplicated>\d+), gaps (?<gaps>\d+), ")]
    private static partial Regex SummaryPattern();
}
