using System.Text.Json;
using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Monitoring;

public sealed partial class PrometheusTests(AppHostFixture fixture)
{
    /// <summary>The seed guide's metric names, and the AI and RAG ones the issues add.</summary>
    public static readonly string[] GuideMetricsBuilt =
    [
        "http_requests_total", "http_request_duration_seconds_bucket", "http_request_size_bytes_bucket", "http_response_size_bytes_bucket",
        "database_queries_total", "database_query_duration_seconds_bucket",
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
        "websocket_connections_active", "websocket_messages_total", "chat_messages_sent_total", "active_users", "cache_hits_total",
        "file_uploads_total", "file_upload_size_bytes_bucket",
        "ai_requests_total", "ai_response_duration_seconds_bucket", "ai_model_usage_total", "ai_time_to_first_token_seconds_bucket", "ai_queue_depth",
        "gen_ai_client_token_usage_bucket", "rag_queries_total", "rag_query_duration_seconds_bucket", "rag_ingest_documents_total",
    ];

    [Fact]
    public async Task Every_service_target_is_up_and_every_built_guide_metric_returns_data()
    {
        using var prometheus = PrometheusClient.For(fixture.App);
        foreach (var service in ResourceNames.Services)
        {
            using var client = fixture.CreateClient(service);
            await client.GetAsync("/no-such-route"); // puts the HTTP series on every service
        }
        await using var connected = await GenerateChatTrafficAsync(); // stays connected until the test ends

        var allUp = await Poll.EventuallyAsync(async () =>
        {
            var up = await prometheus.ResultAsync("up");
            var jobs = up.Where(r => r.GetProperty("value")[1].GetString() == "1")
                .Select(r => r.GetProperty("metric").GetProperty("job").GetString()).ToHashSet();
            return ResourceNames.Services.All(jobs.Contains);
        }, TimeSpan.FromSeconds(30));
        Assert.True(allUp, "not every service target is up: " + JsonSerializer.Serialize(await prometheus.ResultAsync("up")));

        var missing = new List<string>();
        var allData = await Poll.EventuallyAsync(async () =>
        {
            missing.Clear();
            foreach (var metric in GuideMetricsBuilt)
            {
                if ((await prometheus.ResultAsync(metric)).Length == 0)
                {
                    missing.Add(metric);
                }
            }
            return missing.Count == 0;
        }, TimeSpan.FromSeconds(20));
        Assert.True(allData, "no data for " + string.Join(", ", missing));
    }

    /// <summary>A user sends a message over the hub twice (cache miss, then hit); the caller keeps the connection open while it looks.</summary>
    private async Task<Microsoft.AspNetCore.SignalR.Client.HubConnection> GenerateChatTrafficAsync()
    {
        var replica = fixture.CreateClient(ResourceNames.Api).BaseAddress!;
        var user = await ChatUsers.RegisterAsync(replica);
        var channel = await user.CreateChannelAsync();
        var hub = await user.ConnectAsync(replica);
        for (var i = 0; i < 2; i++)
        {
            await Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions.InvokeAsync<global::Chat.Api.Messages.MessageDto>(
                hub, "SendMessage", channel, new global::Chat.Api.Messages.SendMessageRequest("traffic"));
        }
        // A refused call (no such channel): the on-call board shows refusals by kind.
        await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions
            .InvokeAsync<global::Chat.Api.Messages.MessageDto>(hub, "SendMessage", Guid.NewGuid(), new global::Chat.Api.Messages.SendMessageRequest("nowhere")));
        using var files = user.Http(fixture.CreateClient(ResourceNames.Files).BaseAddress);
        await files.PostAsync("/api/files", Samples.Multipart("traffic.txt", Samples.For("x.txt")));
        await Ai.AiScenario.ExerciseAsync(fixture);
        return hub;
    }

    [Fact]
    public async Task Every_dashboard_query_runs_and_names_only_metrics_that_exist()
    {
        using var prometheus = PrometheusClient.For(fixture.App);
        // The boards by role (on-call, AI and retrieval, product): every panel of each.
        var boards = Directory.GetFiles(RepoPaths.Combine("monitoring", "dashboards"), "*.json");
        Assert.Equal(3, boards.Length);
        var expressions = boards.SelectMany(board => JsonDocument.Parse(File.ReadAllText(board)).RootElement.GetProperty("panels").EnumerateArray())
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToArray();
        await using var connected = await GenerateChatTrafficAsync(); // stays connected until the test ends
        // Recording rules count as existing once Prometheus has evaluated them over two scrapes of traffic.
        var needed = expressions.SelectMany(MetricNamesIn).ToHashSet();
        await Poll.EventuallyAsync(async () => needed.IsSubsetOf(await prometheus.MetricNamesAsync()), TimeSpan.FromSeconds(40));
        var known = await prometheus.MetricNamesAsync();

        Assert.NotEmpty(expressions);
        foreach (var expr in expressions)
        {
            var body = await prometheus.QueryAsync(expr);
            Assert.True(body.GetProperty("status").GetString() == "success", $"{expr}: {body}");
            foreach (var name in MetricNamesIn(expr))
            {
                Assert.True(known.Contains(name), $"dashboard query names {name}, which Prometheus has never seen: {expr}");
            }
        }
    }

    /// <summary>Identifiers in a PromQL expression that are metric names (not functions, keywords, labels or strings).</summary>
    internal static IEnumerable<string> MetricNamesIn(string expr)
    {
        var withoutStrings = QuotedString().Replace(expr, "\"\"");
        var withoutMatchers = LabelMatchers().Replace(withoutStrings, "{}");
        var withoutGrouping = Grouping().Replace(withoutMatchers, " ");
        var withoutRanges = RangeSelector().Replace(withoutGrouping, "");
        foreach (Match m in Identifier().Matches(withoutRanges))
        {
            var name = m.Value;
            var next = withoutRanges.AsSpan(m.Index + m.Length).TrimStart();
            if (next.StartsWith("(") || PromQlKeywords.Contains(name))
            {
                continue; // a function call or an operator keyword
            }
            yield return name;
        }
    }

    private static readonly HashSet<string> PromQlKeywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"];

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeSelector();

    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
