using System.Text.RegularExpressions;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>
/// A test-only copy of monitoring/alert_rules.yml with every <c>for:</c> shortened to 2 s and groups evaluated every second, so an alert can
/// become pending and firing within a test. Same expressions, same labels: generated, never hand-edited.
/// </summary>
public static partial class TestRules
{
    private static readonly Lazy<string> File = new(() =>
    {
        var source = System.IO.File.ReadAllText(RepoPaths.Combine("monitoring", "alert_rules.yml"));
        var shortened = GroupInterval().Replace(ForDuration().Replace(source, "for: 2s"), "interval: 1s");
        var path = Path.Combine(Path.GetTempPath(), $"chataspire-test-rules-{Environment.ProcessId}.yml");
        System.IO.File.WriteAllText(path, shortened);
        return path;
    });

    public static string ShortenedRulesFile => File.Value;

    [GeneratedRegex(@"interval: \d+[smhd]")]
    private static partial Regex GroupInterval();

    [GeneratedRegex(@"for: \d+[smhd]")]
    private static partial Regex ForDuration();
}
