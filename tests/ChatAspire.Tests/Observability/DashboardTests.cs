using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Tests.Observability;

/// <summary>
/// A fresh system as a person runs it: its own AppHost with the Aspire dashboard, OTLP export on, empty data. The tests
/// read the dashboard's telemetry API, which is what that person looks at.
/// </summary>
public sealed class DashboardSystem : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;
    public DashboardClient Dashboard { get; private set; } = null!;
    public DateTimeOffset Started { get; private set; }

    /// <summary>
    /// What the dashboard held once every service had logged its start-up and ten more seconds had passed, read before any
    /// test of the class runs: the start-up as a person sees it, without what the tests cause afterwards.
    /// </summary>
    public IReadOnlyList<DashboardLog> StartUpLogs { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var builder = await ChatAppHost.CreateBuilderAsync(
            ["--ChatAspire:Monitoring:Port=0", "--ChatAspire:Monitoring:ScrapeInterval=1s", $"--AppHost:DashboardApiKey={key}"], dashboard: true);
        App = await builder.StartAsync([.. ResourceNames.Services, "prometheus"]);
        Started = DateTimeOffset.UtcNow;
        Dashboard = new DashboardClient(ChatAppHost.EndpointUrl(App, "aspire-dashboard"), key);

        // Every service's start-up records have arrived (the migrations of each database, the worker's start).
        await Poll.UntilAsync(async () =>
        {
            var logs = await Dashboard.LogsAsync();
            return logs.Count(l => l.EventName == "migrations_applied") >= 4 && logs.Any(l => l.Resource == ResourceNames.AiWorker);
        }, TimeSpan.FromSeconds(60), "every service's start-up logs in the dashboard");
        // The start-up's tail: ten seconds after every service was healthy (first background sweeps, first scrapes).
        var settled = Started.AddSeconds(10) - DateTimeOffset.UtcNow;
        if (settled > TimeSpan.Zero)
        {
            await Task.Delay(settled);
        }
        StartUpLogs = await Dashboard.LogsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Dashboard.Dispose();
        await App.DisposeAsync();
    }
}

[Collection(Drills.DrillCollection.Name)]
public sealed partial class DashboardTests(DashboardSystem system) : IClassFixture<DashboardSystem>
{
    private const int Warning = 13;

    [Fact]
    public async Task A_clean_start_and_a_restart_show_no_error_and_no_warning()
    {
        // The start-up: everything logged until every service was healthy, and ten seconds after, read by the fixture
        // before any test of this class ran (what the tests cause afterwards is theirs).
        var problems = system.StartUpLogs.Where(l => l.Severity >= Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(p => $"{p.Resource} {p.Scope} {p.EventName}: {p.Text}")));

        // A restart of a service over existing data: its migrations find nothing to do, quietly.
        var restarted = DateTimeOffset.UtcNow;
        var before = (await system.Dashboard.LogsAsync()).Count(l => l.Resource == ResourceNames.Files && l.EventName == "migrations_applied");
        var restart = await system.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Files, KnownResourceCommands.RestartCommand);
        Assert.True(restart.Success, restart.Message);
        await system.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Files).WaitAsync(TimeSpan.FromMinutes(2));
        await Poll.UntilAsync(async () => (await system.Dashboard.LogsAsync())
            .Count(l => l.Resource == ResourceNames.Files && l.EventName == "migrations_applied") > before, TimeSpan.FromSeconds(60), "the restarted service's logs");
        problems = (await system.Dashboard.LogsAsync()).Where(l => l.Severity >= Warning && l.Resource == ResourceNames.Files && l.Time >= restarted).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(p => $"{p.Resource} {p.Scope} {p.EventName}: {p.Text}")));
    }

    [Fact]
    public async Task An_idle_system_makes_fewer_than_ten_root_traces_a_minute()
    {
        var windowStart = DateTimeOffset.UtcNow.AddSeconds(5); // after anything the start-up still exports
        var windowEnd = windowStart.AddMinutes(1);
        var from = windowStart.ToUnixTimeMilliseconds() * 1_000_000;
        var to = windowEnd.ToUnixTimeMilliseconds() * 1_000_000;
        List<DashboardSpan> roots = [];

        // Watched while it passes: the tenth root trace fails the test at once; the minute over (and its spans
        // exported, within a second or two), it passes.
        await Poll.UntilAsync(async () =>
        {
            roots = [.. (await system.Dashboard.SpansAsync()).Where(s => s.ParentSpanId is null or "" && s.StartUnixNano >= from && s.StartUnixNano < to)];
            Assert.True(roots.Count < 10, $"{roots.Count} root traces in an idle minute: " + string.Join(", ", roots.Select(r => $"{r.Resource}:{r.Name}")));
            return DateTimeOffset.UtcNow >= windowEnd.AddSeconds(5);
        }, TimeSpan.FromSeconds(90), "the idle minute to pass");
    }

    [Fact]
    public async Task One_trace_runs_from_a_chat_message_through_the_outbox_and_the_worker_to_the_posted_reply()
    {
        var api = system.App.CreateHttpClient(ResourceNames.Api).BaseAddress!;
        var user = await ChatUsers.RegisterAsync(api);
        var channel = await user.CreateChannelAsync();
        using var http = user.Http();

        using var sent = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "@assistant what does the dashboard show?" });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        await Poll.UntilAsync(async () => (await user.HistoryAsync(channel)).Any(m => m.GetProperty("type").GetString() == "ai"),
            TimeSpan.FromSeconds(60), "the assistant's reply");

        IReadOnlyList<DashboardSpan> trace = [];
        await Poll.UntilAsync(async () =>
        {
            var all = await system.Dashboard.SpansAsync();
            var send = all.FirstOrDefault(s => s.Name.StartsWith("POST /api/channels/{channelId", StringComparison.Ordinal) && s.Resource == ResourceNames.Api);
            trace = send is null ? [] : all.Where(s => s.TraceId == send.TraceId).ToList();
            // Each service exports in its own batches: wait for every span asked for below, not only the last ones.
            return trace.Any(s => s.Name == "ai_request") && trace.Any(s => s.Resource == ResourceNames.Api && s.Name.StartsWith("POST /api/ai/replies", StringComparison.Ordinal))
                && trace.Any(s => s.Resource == ResourceNames.AiWorker && s.Name.Contains("ai:jobs", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(60), "one trace from the message to the posted reply");

        Assert.Contains(trace, s => s.Resource == ResourceNames.AiWorker && s.Name.Contains("ai:jobs", StringComparison.Ordinal));
        Assert.Contains(trace, s => s.Resource == ResourceNames.AiWorker && s.Name == "ai_request");
        Assert.Single(trace, s => s.ParentSpanId is null or ""); // one root: the user's request
    }

    [Fact]
    public async Task Hub_messages_are_traced_one_in_a_hundred_and_a_question_to_the_assistant_always()
    {
        var api = (await ChatAppHost.ReplicaUrlsAsync(system.App, ResourceNames.Api))[0];
        var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

        // 100 plain messages over the hub (5 senders × 20, within each one's send burst), then one that asks the assistant.
        const int Plain = 100;
        for (var sender = 0; sender < 5; sender++)
        {
            var user = await ChatUsers.RegisterAsync(api);
            var channel = await user.CreateChannelAsync();
            await using var hub = await user.ConnectAsync(api);
            for (var i = 0; i < Plain / 5; i++)
            {
                await hub.InvokeAsync<System.Text.Json.JsonElement>("SendMessage", channel, new { content = $"plain {i}", clientMessageId = Guid.NewGuid() });
            }
        }
        var asker = await ChatUsers.RegisterAsync(api);
        var asked = await asker.CreateChannelAsync();
        await using (var hub = await asker.ConnectAsync(api))
        {
            await hub.InvokeAsync<System.Text.Json.JsonElement>("SendMessage", asked, new { content = "@assistant is this traced?", clientMessageId = Guid.NewGuid() });
        }

        // The question's trace runs from its send to the worker's answer, whatever the sampling of its hub call.
        IReadOnlyList<DashboardSpan> spans = [];
        await Poll.UntilAsync(async () =>
        {
            spans = [.. (await system.Dashboard.SpansAsync()).Where(s => s.StartUnixNano >= from)];
            var answered = spans.Where(s => s.Name == "ai_request").Select(s => s.TraceId).ToHashSet();
            return spans.Any(s => s.Name == "message.send" && s.ParentSpanId is null or "" && answered.Contains(s.TraceId));
        }, TimeSpan.FromSeconds(60), "the assistant question's trace, from its send to the answer");

        // The plain sends: about one trace in a hundred (Observability:HighVolumeTraceSamplingRatio = 0.01), not one each.
        // Ten or more of 101 at 1 % has a probability below 1e-8.
        var hubCalls = spans.Count(s => s.Resource == ResourceNames.Api && s.Name.EndsWith("/SendMessage", StringComparison.Ordinal));
        Assert.True(hubCalls < 10, $"{hubCalls} of {Plain + 1} hub sends were traced");
    }

    [Fact]
    public async Task A_latency_exemplar_in_prometheus_leads_to_its_trace_in_the_dashboard()
    {
        var api = (await ChatAppHost.ReplicaUrlsAsync(system.App, ResourceNames.Api))[0];
        var user = await ChatUsers.RegisterAsync(api);
        using var http = user.Http(api);
        using var channels = await http.GetAsync("/api/channels");
        Assert.Equal(HttpStatusCode.OK, channels.StatusCode);

        // The exposition: OpenMetrics when asked for, with trace ids on the latency buckets.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var metrics = await http.SendAsync(request);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Matches(ExemplarLine(), text);

        // Prometheus stored exemplars (exemplar storage on); one of them is a trace the dashboard holds.
        using var prometheus = PrometheusClient.For(system.App);
        string? found = null;
        await Poll.UntilAsync(async () =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var client = new HttpClient { BaseAddress = prometheus.BaseAddress };
            var body = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(
                $"/api/v1/query_exemplars?query={Uri.EscapeDataString("http_request_duration_seconds_bucket")}&start={now - 600}&end={now + 60}");
            var traceIds = body.GetProperty("data").EnumerateArray().SelectMany(series => series.GetProperty("exemplars").EnumerateArray())
                .Select(e => e.GetProperty("labels").TryGetProperty("trace_id", out var id) ? id.GetString() : null).OfType<string>().Distinct().ToList();
            foreach (var traceId in traceIds)
            {
                if ((await system.Dashboard.SpansAsync(traceId)).Count > 0)
                {
                    found = traceId;
                    return true;
                }
            }
            return false;
        }, TimeSpan.FromSeconds(60), "an exemplar whose trace is in the dashboard");
        Assert.Matches("^[0-9a-f]{32}$", found);
    }

    [GeneratedRegex(@"http_request_duration_seconds_bucket\{[^}]*\} \d+(\.\d+)? # \{[^}]*trace_id=""[0-9a-f]{32}""")]
    private static partial Regex ExemplarLine();
}
