using System.Text.RegularExpressions;

namespace ChatAspire.Testing;

/// <summary>
/// monitoring/alert_rules.yml with every <c>for:</c> shortened to 2 s and its groups evaluated every second, so that a
/// fault of a few seconds in a test or a drill shows which alerts become pending, fire and resolve. Same expressions, same
/// labels: generated from the repository's file, never edited by hand.
/// </summary>
public static partial class AlertRules
{
    private static readonly Lazy<string> File = new(() =>
    {
        var source = System.IO.File.ReadAllText(RepoPaths.Combine("monitoring", "alert_rules.yml"));
        var shortened = GroupInterval().Replace(ForDuration().Replace(source, "for: 2s"), "interval: 1s");
        var path = Path.Combine(Path.GetTempPath(), $"chataspire-rules-{Environment.ProcessId}.yml");
        System.IO.File.WriteAllText(path, shortened);
        return path;
    });

    /// <summary>The path of the shortened copy (one per process, in the temporary folder).</summary>
    public static string ShortenedFile => File.Value;

    [GeneratedRegex(@"interval: \d+[smhd]")]
    private static partial Regex GroupInterval();

    [GeneratedRegex(@"for: \d+[smhd]")]
    private static partial Regex ForDuration();
}
