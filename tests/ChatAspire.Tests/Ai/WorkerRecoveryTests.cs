using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace ChatAspire.Tests.Ai;

/// <summary>Crashes, cancellation, a failing provider and tracing, with in-process workers in place of the AppHost's.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class WorkerRecoveryTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string TestSourceName = "ChatAspire.Tests";
    private static readonly ActivitySource TestSource = new(TestSourceName);
    private FakeModelServer _model = null!;

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    public async ValueTask InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync();
        _model.Words = [.. Enumerable.Range(1, 40).Select(i => $"word{i}")];
        _model.DelayPerWord = TimeSpan.FromMilliseconds(150);
    }

    public async ValueTask DisposeAsync() => await _model.DisposeAsync();

    private Dictionary<string, string?> OpenAi(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ai:Provider"] = "openai", ["Ai:Endpoint"] = _model.OpenAiEndpoint.ToString(), ["Ai:Model"] = "gpt-test", ["Ai:ApiKey"] = "test-key",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    [Fact]
    public async Task A_worker_killed_mid_reply_is_replaced_and_exactly_one_reply_is_persisted_and_late_joiners_see_the_text_so_far()
    {
        await using var harness = await WorkerHarness.StartAsync(fixture);
        var alice = await ChatUsers.RegisterAsync(Api, "ai-crash");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);

        // No drain time: stopping it is a crash as far as the job is concerned (the reply is cut off and handed back).
        var first = harness.Worker(OpenAi(("Ai:Worker:Stream:DrainTimeout", "00:00:00")));
        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Tell me everything.");
        await Poll.UntilAsync(() => Task.FromResult(events.DeltasOf(jobId).Count >= 5), TimeSpan.FromSeconds(60), "the reply to start streaming");

        // Someone who connects now gets the text so far, then the rest as deltas.
        await using (var late = await alice.ConnectAsync())
        {
            var active = await late.InvokeAsync<List<AiReplyDelta>>("GetActiveAiReplies", channel);
            var partial = Assert.Single(active, a => a.JobId == jobId);
            Assert.StartsWith("word1 word2 word3", partial.Text, StringComparison.Ordinal);
        }

        await first.DisposeAsync(); // the worker dies mid-reply
        Assert.DoesNotContain(await alice.HistoryAsync(channel), m => m.GetProperty("type").GetString() == "ai");
        await using var second = harness.Worker(OpenAi());
        var reply = await events.ReplyAsync(messageId, TimeSpan.FromSeconds(90));

        Assert.Equal(string.Join(' ', _model.Words), reply.GetProperty("content").GetString());
        Assert.Equal(2, _model.Attempts);
        // Nothing else can arrive later: the job is finished and no delivery of it is pending for any worker.
        using var jobs = alice.Http();
        await Poll.UntilAsync(async () => (await jobs.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString() == "completed"
            && (await Redis().StreamPendingAsync(AiJobs.Stream, "aiworker")).PendingMessageCount == 0, TimeSpan.FromSeconds(30), "the job to be finished and acknowledged");
        Assert.Single(await alice.HistoryAsync(channel), m => m.GetProperty("type").GetString() == "ai");
    }

    [Fact]
    public async Task A_worker_stopped_gracefully_mid_reply_finishes_it_and_exactly_one_complete_reply_is_posted()
    {
        await using var harness = await WorkerHarness.StartAsync(fixture);
        var alice = await ChatUsers.RegisterAsync(Api, "ai-drain");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);

        var first = harness.Worker(OpenAi()); // the default drain time (20 s) covers the rest of this 6 s reply
        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Tell me everything, slowly.");
        await Poll.UntilAsync(() => Task.FromResult(events.DeltasOf(jobId).Count >= 5), TimeSpan.FromSeconds(60), "the reply to start streaming");

        // What SIGTERM does: the host stops. The worker reads nothing new and finishes the reply in flight.
        await first.DisposeAsync();
        var reply = await events.ReplyAsync(messageId, TimeSpan.FromSeconds(5)); // posted before the stop returned
        Assert.Equal(string.Join(' ', _model.Words), reply.GetProperty("content").GetString());
        Assert.Equal(1, _model.Attempts);

        // A worker that starts afterwards finds nothing to do: the entry was acknowledged, the job is completed.
        await using var second = harness.Worker(OpenAi());
        using var jobs = alice.Http();
        Assert.Equal("completed", (await jobs.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString());
        Assert.Equal(0, (await Redis().StreamPendingAsync(AiJobs.Stream, "aiworker")).PendingMessageCount);
        Assert.Single(await alice.HistoryAsync(channel), m => m.GetProperty("type").GetString() == "ai");
        Assert.Equal(1, _model.Attempts);
    }

    [Fact]
    public async Task Cancelling_from_a_client_on_the_other_replica_stops_generation_and_keeps_the_partial_reply()
    {
        await using var harness = await WorkerHarness.StartAsync(fixture);
        await using var worker = harness.Worker(OpenAi());
        var alice = await ChatUsers.RegisterAsync(Api, "ai-cancel");
        var channel = await alice.CreateChannelAsync();
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        await using var watcher = await alice.ConnectAsync(replicas[0]);
        await using var canceller = await alice.ConnectAsync(replicas[1]);
        var events = AiScenario.Record(watcher);

        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Tell me everything.", replicas[0]);
        await Poll.UntilAsync(() => Task.FromResult(events.DeltasOf(jobId).Count >= 3), TimeSpan.FromSeconds(60), "the reply to start streaming");
        await canceller.InvokeAsync("CancelAiReply", jobId);

        var reply = await events.ReplyAsync(messageId);
        var content = reply.GetProperty("content").GetString()!;
        Assert.EndsWith("… (stopped)", content, StringComparison.Ordinal);
        Assert.StartsWith("word1 word2 word3", content, StringComparison.Ordinal);
        Assert.True(_model.WordsSent < _model.Words.Length, $"generation went on: {_model.WordsSent} of {_model.Words.Length} words");
        // The final delta and the message travel separately: the message may come first (docs/realtime.md).
        await Poll.UntilAsync(() => Task.FromResult(events.DeltasOf(jobId).Any(d => d.State == AiReplyDelta.Cancelled)), TimeSpan.FromSeconds(10),
            "the cancelled delta");
        Assert.Contains(events.DeltasOf(jobId), d => d.State == AiReplyDelta.Cancelled);
        using var http = alice.Http();
        Assert.Equal("cancelled", (await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_the_provider_failing_the_user_is_told_readiness_is_degraded_and_the_job_is_parked_not_lost()
    {
        _model.FailWithStatus = 503;
        await using var harness = await WorkerHarness.StartAsync(fixture);
        await using var worker = harness.Worker(OpenAi(("Ai:Retries", "0"), ("Ai:BreakAfter", "2"), ("Ai:Worker:Stream:MaxAttempts", "2")));
        var alice = await ChatUsers.RegisterAsync(Api, "ai-fail");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);

        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Are you there?");
        await Poll.UntilAsync(() => Task.FromResult(events.DeltasOf(jobId).Any(d => d.State == AiReplyDelta.Failed && d.Text.Contains("not answering", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60), "a failure notice");
        using (var client = worker.CreateClient())
        {
            var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
            Assert.Equal("degraded", ready.GetProperty("checks").GetProperty("ai_provider").GetProperty("status").GetString());
        }

        var reply = await events.ReplyAsync(messageId, TimeSpan.FromSeconds(90));
        Assert.StartsWith("Sorry, I could not answer this", reply.GetProperty("content").GetString(), StringComparison.Ordinal);
        var parked = (await Redis().StreamRangeAsync($"{AiJobs.Stream}:parked")).Single(e => e["payload"].ToString().Contains(jobId.ToString(), StringComparison.Ordinal));
        Assert.StartsWith("ProviderUnavailableException", parked["reason"].ToString(), StringComparison.Ordinal);
        using var http = alice.Http();
        Assert.Equal("failed", (await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task One_trace_links_the_users_request_the_outbox_entry_and_the_workers_ai_request_span()
    {
        var spans = new List<Activity>();
        await using var harness = await WorkerHarness.StartAsync(fixture);
        await using var worker = harness.Worker(services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var alice = await ChatUsers.RegisterAsync(Api, "ai-trace");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);

        ActivityTraceId traceId;
        Guid jobId, messageId;
        using (var root = TestSource.StartActivity("user asks the assistant"))
        {
            traceId = root!.TraceId;
            (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Hello, assistant?");
        }
        await events.ReplyAsync(messageId);

        // The API wrote the job's outbox row inside the user's trace...
        await using (var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""SELECT "TraceParent" FROM outbox WHERE "Payload"->>'jobId' = @job""", connection);
            command.Parameters.AddWithValue("job", jobId.ToString());
            var traceParent = (string)(await command.ExecuteScalarAsync())!;
            Assert.Equal(traceId.ToHexString(), traceParent.Split('-')[1]);
        }
        // ...and the worker's ai_request span (with its retrieval and generation children) continues it.
        await Poll.UntilAsync(() => Task.FromResult(spans.ToList().Any(s => s.OperationName == "ai_request" && s.TraceId == traceId)),
            TimeSpan.FromSeconds(30), "the worker's ai_request span");
        var request = spans.ToList().Single(s => s.OperationName == "ai_request" && s.TraceId == traceId);
        Assert.Equal("Hello, assistant?".Length, request.GetTagItem("prompt.length"));
        Assert.True((int)request.GetTagItem("response.length")! > 0);
        Assert.Contains(spans.ToList(), s => s.OperationName == "ai.retrieve" && s.ParentSpanId == request.SpanId);
        Assert.Contains(spans.ToList(), s => s.OperationName.StartsWith("chat", StringComparison.Ordinal) && s.TraceId == traceId);
        Assert.DoesNotContain(spans.ToList().SelectMany(s => s.Tags), t => t.Value?.Contains("Hello, assistant?", StringComparison.Ordinal) == true);
    }

    private IDatabase Redis() =>
        ConnectionMultiplexer.Connect(fixture.ConnectionStringAsync(ResourceNames.Redis).GetAwaiter().GetResult()).GetDatabase();
}
