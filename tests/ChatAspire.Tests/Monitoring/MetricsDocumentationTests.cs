using System.Text.RegularExpressions;
using ChatAspire.AppHost;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Monitoring;

[Collection(AppHostCollection.Name)]
public sealed partial class MetricsDocumentationTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Docs_list_exactly_the_metrics_our_own_meters_expose()
    {
        var exposed = new HashSet<string>();
        foreach (var service in ResourceNames.Services)
        {
            using var client = fixture.CreateClient(service);
            await client.GetAsync("/no-such-route");
            var text = await client.GetStringAsync("/metrics");
            var histograms = HistogramType().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
            foreach (Match sample in OwnSample().Matches(text))
            {
                var name = sample.Groups[1].Value;
                var family = Regex.Replace(name, "_(bucket|sum|count)$", "");
                exposed.Add(histograms.Contains(family) ? family : name);
            }
        }
        var docs = await File.ReadAllTextAsync(RepoPaths.Combine("docs", "monitoring.md"));
        var section = docs[docs.IndexOf("## Metrics", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var documented = DocumentedMetric().Matches(section).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Empty(exposed.Except(documented));
        Assert.Empty(documented.Except(exposed));
    }

    [GeneratedRegex(@"^# TYPE (\w+) histogram$", RegexOptions.Multiline)]
    private static partial Regex HistogramType();

    [GeneratedRegex(@"^(\w+)\{otel_scope_name=""ChatAspire\.", RegexOptions.Multiline)]
    private static partial Regex OwnSample();

    [GeneratedRegex(@"^\| `(\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedMetric();
}
