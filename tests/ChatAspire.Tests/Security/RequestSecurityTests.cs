using Aspire.Hosting;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Chat.Api.Data;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace ChatAspire.Tests.Security;

/// <summary>Hostile requests (issue #13): unreadable input is a 400, invented methods make no series, refusals make no errors, queries stay out of spans.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class RequestSecurityTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task An_invented_http_method_creates_no_metric_series_on_any_service()
    {
        foreach (var service in (string[])[ResourceNames.Api, ResourceNames.Files, ResourceNames.Rag])
        {
            using var client = fixture.CreateClient(service);
            var method = $"SECPROBE{Random.Shared.Next(100_000, 999_999)}";

            using var probe = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/channels"));
            var metrics = await client.GetStringAsync("/metrics");

            Assert.DoesNotContain(method, metrics, StringComparison.Ordinal);
            Assert.True(MetricsText.Sum(metrics, "http_requests_total", ("method", "_OTHER")) >= 1, $"{service}: no _OTHER series");
        }
    }

    [Fact]
    public async Task Unreadable_requests_are_400_problem_details_with_a_sentence_on_every_service()
    {
        var user = await ChatUsers.RegisterAsync(Api);
        var channel = await user.CreateChannelAsync("public");
        using var api = user.Http();
        using var rag = user.Http(fixture.CreateClient(ResourceNames.Rag).BaseAddress);
        using var files = user.Http(fixture.CreateClient(ResourceNames.Files).BaseAddress);

        var answers = new List<(string What, HttpResponseMessage Response)>
        {
            ("bad JSON", await api.PostAsync($"/api/channels/{channel}/messages", Json("{\"content\": \"hi\""))),
            ("wrong JSON type", await api.PostAsync($"/api/channels/{channel}/messages", Json("{\"content\": 42}"))),
            ("non-GUID id in the body", await api.PostAsync($"/api/channels/{channel}/members", Json("{\"userId\": \"not-a-guid\"}"))),
            ("limit=abc", await api.GetAsync($"/api/channels/{channel}/messages?limit=abc")),
            ("before=1e99", await api.GetAsync($"/api/channels/{channel}/messages?before=1e99")),
            ("missing q", await api.GetAsync("/api/messages/search")),
            ("NUL in content", await api.PostAsync($"/api/channels/{channel}/messages", Json("{\"content\": \"a\\u0000b\"}"))),
            ("NUL in a topic", await api.PatchAsync($"/api/channels/{channel}", Json("{\"topic\": \"a\\u0000b\"}"))),
            ("NUL in a new channel's topic", await api.PostAsync("/api/channels", Json($"{{\"name\": \"n-{Guid.NewGuid():N}\", \"topic\": \"a\\u0000b\"}}"))),
            ("NUL in search text", await api.GetAsync("/api/messages/search?q=a%00b")),
            ("topK=2147483648", await rag.PostAsync("/api/rag/search", Json("{\"query\": \"x\", \"topK\": 2147483648}"))),
            ("NUL in a RAG query", await rag.PostAsync("/api/rag/search", Json("{\"query\": \"a\\u0000b\"}"))),
            ("bad JSON to RAG", await rag.PostAsync("/api/rag/search", Json("[1, 2"))),
            ("an empty query to RAG", await rag.PostAsync("/api/rag/search", Json("{\"query\": \"\"}"))),
            ("an upload that is not multipart", await files.PostAsync("/api/files", Json("{}"))),
            ("an empty upload", await files.PostAsync("/api/files", new MultipartFormDataContent { { new ByteArrayContent([]), "file", "empty.txt" } })),
            ("a bad channel name", await api.PostAsync("/api/channels", Json("{\"name\": \"\"}"))),
        };

        Assert.All(answers, a =>
        {
            Assert.True(a.Response.StatusCode == HttpStatusCode.BadRequest, $"{a.What}: {(int)a.Response.StatusCode}");
            Assert.Equal("application/problem+json", a.Response.Content.Headers.ContentType?.MediaType);
            // One shape for every 400, whoever refused: a ValidationProblem titled Invalid, fields in errors, a sentence in detail.
            var problem = a.Response.Content.ReadFromJsonAsync<JsonElement>().GetAwaiter().GetResult();
            Assert.True(problem.GetProperty("title").GetString() == "Invalid", $"{a.What}: {problem}");
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), a.What);
            var errors = problem.GetProperty("errors");
            Assert.True(errors.ValueKind == JsonValueKind.Object && errors.EnumerateObject().Any(e => e.Value.GetArrayLength() > 0), $"{a.What}: {problem}");
            if (a.What == "NUL in content")
            {
                Assert.True(errors.TryGetProperty("content", out _), $"{a.What}: {problem}"); // a shared rule names its field too
            }
        });
        Assert.Empty(await user.HistoryAsync(channel)); // nothing was stored by any of them
    }

    [Fact]
    public async Task Unreadable_requests_log_no_error_and_no_stack_trace()
    {
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        settings["environment"] = "Production";
        await using var api = new ServiceFactory<ChatDbContext>(settings);
        using var client = api.CreateClient();
        var user = await ChatUsers.RegisterAsync(Api);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        var channel = await user.CreateChannelAsync("public");
        var before = api.Logs.Records.Count;

        using var badJson = await client.PostAsync($"/api/channels/{channel}/messages", Json("{\"content\":"));
        using var badQuery = await client.GetAsync($"/api/channels/{channel}/messages?limit=abc");
        using var nul = await client.PostAsync($"/api/channels/{channel}/messages", Json("{\"content\": \"\\u0000\"}"));

        Assert.All([badJson, badQuery, nul], r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal("application/problem+json", badJson.Content.Headers.ContentType?.MediaType);
        var during = api.Logs.Records.Skip(before).ToList();
        // (slow_request / slow_query only say the machine was busy)
        Assert.DoesNotContain(during, r => r.Level >= LogLevel.Warning && r.EventId.Name is not ("slow_request" or "slow_query"));
        // The two the framework could not read are logged once each, at Information; the NUL is a chat rule's refusal.
        Assert.Equal(2, during.Count(r => r.EventId.Name == "bad_request" && r.Level == LogLevel.Information));
    }

    [Fact]
    public async Task Refused_hub_calls_log_one_information_line_without_a_stack_trace_and_count_as_refusals_not_errors()
    {
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        settings["Messages:SendBurst"] = "2";
        settings["Messages:SendPerSecond"] = "1";
        await using var api = new ServiceFactory<ChatDbContext>(settings);
        using var http = api.CreateClient();
        var owner = await ChatUsers.RegisterAsync(Api);
        var sender = await ChatUsers.RegisterAsync(Api);
        var privateChannel = await owner.CreateChannelAsync("private");
        var open = await owner.CreateChannelAsync("public");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(http.BaseAddress!, "/hubs/chat"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(sender.Token);
                o.HttpMessageHandlerFactory = _ => api.Server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            }).Build();
        using (var join = await sender.Http().PostAsync($"/api/channels/{open}/join", null))
        {
            Assert.Equal(HttpStatusCode.OK, join.StatusCode);
        }
        await hub.StartAsync();
        var before = api.Logs.Records.Count;

        var forbidden = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("SendMessage", privateChannel, new { content = "let me in" }));
        var refusals = 0;
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await hub.InvokeAsync<JsonElement>("SendMessage", open, new { content = $"flood {i}" });
            }
            catch (HubException ex) when (ex.Message.Contains("RateLimited", StringComparison.Ordinal))
            {
                refusals++;
            }
        }

        Assert.Contains("HubException: Forbidden:", forbidden.Message, StringComparison.Ordinal);
        Assert.True(refusals >= 3, $"{refusals} rate-limited");
        var during = api.Logs.Records.Skip(before).ToList();
        Assert.DoesNotContain(during, r => r.Level >= LogLevel.Error);
        var refused = during.Where(r => r.EventId.Name == "hub_call_refused").ToList();
        Assert.Equal(refusals + 1, refused.Count);
        Assert.All(refused, r => Assert.Equal(LogLevel.Information, r.Level));
        Assert.All(refused, r => Assert.True(r.Message.Length < 200, r.Message));
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Equal(refusals, MetricsText.Sum(metrics, "hub_call_refusals_total", ("kind", "rate_limited")));
        Assert.Equal(1, MetricsText.Sum(metrics, "hub_call_refusals_total", ("kind", "forbidden")));
    }

    [Fact]
    public async Task Search_terms_in_query_strings_reach_no_span()
    {
        var spans = new List<Activity>();
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        await using var api = new ServiceFactory<ChatDbContext>(settings);
        using var client = api.WithWebHostBuilder(b => b.ConfigureServices(s =>
            s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)))).CreateClient();
        var user = await ChatUsers.RegisterAsync(Api);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        const string secret = "quarterlylayoffsplan";

        using var search = await client.GetAsync($"/api/messages/search?q={secret}&limit=5");

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        // The server span ends just after the response; background loops may add spans meanwhile.
        Activity[] Snapshot()
        {
            while (true)
            {
                try
                {
                    return [.. spans]; // the exporter appends from other threads
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
        await Poll.UntilAsync(() => Task.FromResult(Snapshot().Any(s => s.GetTagItem("url.path") as string == "/api/messages/search")),
            TimeSpan.FromSeconds(10), "the search request's span");
        var recorded = Snapshot();
        var span = Assert.Single(recorded, s => s.GetTagItem("url.path") as string == "/api/messages/search");
        Assert.Equal("q=REDACTED&limit=REDACTED", span.GetTagItem("url.query"));
        Assert.DoesNotContain(recorded, s => s.TagObjects.Any(t => t.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true)
            || s.DisplayName.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_local_prometheus_does_not_offer_its_lifecycle_api()
    {
        using var prometheus = PrometheusClient.For(fixture.App);
        using var http = new HttpClient { BaseAddress = prometheus.BaseAddress };

        using var reload = await http.PostAsync("/-/reload", null);
        using var quit = await http.PostAsync("/-/quit", null);

        Assert.Equal(HttpStatusCode.Forbidden, reload.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, quit.StatusCode);
        Assert.NotEmpty(await prometheus.MetricNamesAsync()); // still running
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
