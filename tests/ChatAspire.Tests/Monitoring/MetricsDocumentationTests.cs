using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Monitoring;

public sealed partial class MetricsDocumentationTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Docs_list_exactly_the_metrics_our_own_meters_expose()
    {
        await DriveChatAsync();
        var exposed = new HashSet<string>();
        var clients = ResourceNames.Services.Select(s => fixture.CreateClient(s))
            .Append(fixture.CreateClient(ResourceNames.Api, replica: 1));
        foreach (var client in clients)
        {
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

    /// <summary>Counters appear on /metrics only once counted: run the chat once on every replica.</summary>
    private async Task DriveChatAsync()
    {
        foreach (var replica in await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))
        {
            var user = await ChatUsers.RegisterAsync(replica);
            var channel = await user.CreateChannelAsync();
            await using var hub = await user.ConnectAsync(replica);
            await Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions.InvokeAsync<global::Chat.Api.Messages.MessageDto>(
                hub, "SendMessage", channel, new global::Chat.Api.Messages.SendMessageRequest("for the metrics"));
            // A refused call (no such channel): hub_call_refusals_total is counted only once something is refused.
            await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions
                .InvokeAsync<global::Chat.Api.Messages.MessageDto>(hub, "SendMessage", Guid.NewGuid(), new global::Chat.Api.Messages.SendMessageRequest("nowhere")));
            using var refused = new HttpClient { BaseAddress = replica };
            await refused.PostAsync("/hubs/chat/negotiate", null); // no token: a failed attempt
            using var files = user.Http(fixture.CreateClient(ResourceNames.Files).BaseAddress);
            await files.PostAsync("/api/files", Samples.Multipart("metrics.txt", Samples.For("x.txt")));
        }

        await Ai.AiScenario.ExerciseAsync(fixture);
    }

    [GeneratedRegex(@"^# TYPE (\w+) histogram$", RegexOptions.Multiline)]
    private static partial Regex HistogramType();

    [GeneratedRegex(@"^(\w+)\{otel_scope_name=""ChatAspire\.", RegexOptions.Multiline)]
    private static partial Regex OwnSample();

    [GeneratedRegex(@"^\| `(\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedMetric();
}
