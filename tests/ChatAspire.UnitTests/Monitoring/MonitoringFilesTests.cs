using System.Text.RegularExpressions;

namespace ChatAspire.Tests.Monitoring;

public sealed class MonitoringFilesTests
{
    private static readonly string Dir = RepoPaths.Combine("monitoring");

    [Fact]
    public async Task Prometheus_config_is_valid()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "config", "prometheus.yml"], workingDirectory: Dir);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Alert_rules_are_valid()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "rules", "alert_rules.yml"], workingDirectory: Dir);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Alert_rule_unit_tests_pass()
    {
        var (exitCode, output) = await Promtool.RunAsync(["test", "rules", "alert_rules.test.yml"], workingDirectory: Dir);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Every_alert_has_a_unit_test_and_a_runbook_section_in_the_docs()
    {
        var rules = await File.ReadAllTextAsync(Path.Combine(Dir, "alert_rules.yml"));
        var tests = await File.ReadAllTextAsync(Path.Combine(Dir, "alert_rules.test.yml"));
        var docs = await File.ReadAllTextAsync(RepoPaths.Combine("docs", "monitoring.md"));
        var alerts = Regex.Matches(rules, @"- alert: (\w+)").Select(m => m.Groups[1].Value).ToArray();
        var anchors = Regex.Matches(rules, @"runbook: ""docs/monitoring.md#([a-z0-9-]+)""").Select(m => m.Groups[1].Value).Distinct().ToArray();
        var headings = Regex.Matches(docs, @"^#+ (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim().ToLowerInvariant().Replace(' ', '-')).ToHashSet();

        Assert.Equal(alerts.Length, Regex.Matches(rules, "runbook:").Count);
        Assert.All(alerts, a => Assert.Contains($"alertname: {a}", tests, StringComparison.Ordinal));
        Assert.All(alerts, a => Assert.Contains($"`{a}`", docs, StringComparison.Ordinal));
        Assert.All(anchors, a => Assert.Contains(a, headings));
    }
}
