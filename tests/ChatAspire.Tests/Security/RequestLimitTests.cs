using System.Diagnostics;
using System.Text.Json;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatAspire.Tests.Security;

/// <summary>
/// One request limit per user on every service (issue #37): a token bucket per user per service in Redis, shared by the
/// replicas; beyond it a 429 ProblemDetails titled RateLimited with Retry-After, for REST and hub calls alike.
/// The services run in-process with a small bucket (burst 5, then 1 a second) against the AppHost's Postgres and Redis;
/// an in-process Chat.Api runs its background work too (its sends need the group commit), so the class runs alone.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class RequestLimitTests(AppHostFixture fixture)
{
    private const int Burst = 5;

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    private async Task<Dictionary<string, string?>> SettingsAsync(string database)
    {
        var settings = await fixture.ServiceSettingsAsync(database);
        settings["RequestLimits:PerUserPerMinute"] = "60";
        settings["RequestLimits:PerUserBurst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task A_users_requests_share_one_bucket_across_replicas_and_past_it_get_429_problem_details_while_others_go_on()
    {
        var settings = await SettingsAsync(ResourceNames.ChatDb);
        await using var first = new ServiceFactory<ChatDbContext>(settings);
        await using var second = new ServiceFactory<ChatDbContext>(settings);
        HttpClient[] replicas = [first.CreateClient(), second.CreateClient()];
        var user = await ChatUsers.RegisterAsync(Api, "limited");
        var other = await ChatUsers.RegisterAsync(Api, "unlimited");
        var before = (first.Logs.Records.Count, second.Logs.Records.Count);

        var accepted = new int[2];
        var refused = new int[2];
        HttpResponseMessage? refusal = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 16; i++)
        {
            using var request = Get("/api/channels", user.Token);
            var response = await replicas[i % 2].SendAsync(request);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted[i % 2]++;
                response.Dispose();
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                refused[i % 2]++;
                refusal ??= response;
            }
        }
        var elapsed = clock.Elapsed.TotalSeconds;

        // One bucket, whichever replica answers: the burst plus what refilled meanwhile, not a burst per replica.
        Assert.InRange(accepted.Sum(), Burst, Burst + (int)Math.Ceiling(elapsed) + 1);
        Assert.True(refused[0] > 0 && refused[1] > 0, $"refused {refused[0]} / {refused[1]}");
        using (refusal)
        {
            Assert.Equal("application/problem+json", refusal!.Content.Headers.ContentType?.MediaType);
            var problem = await refusal.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(429, problem.GetProperty("status").GetInt32());
            Assert.Equal("RateLimited", problem.GetProperty("title").GetString());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            Assert.NotNull(refusal.Headers.RetryAfter?.Delta);
        }

        // Someone else, on the same replicas at the same time, has a bucket of their own.
        using (var others = await replicas[0].SendAsync(Get("/api/channels", other.Token)))
        {
            Assert.Equal(HttpStatusCode.OK, others.StatusCode);
        }
        // Calls between services carry a service token and are not limited.
        var service = new ServiceTokens(Options.Create(new TokenOptions { SigningKey = AppHostFixture.SigningKey }), TimeProvider.System).Get(ResourceNames.Rag);
        for (var i = 0; i < Burst * 2; i++)
        {
            using var response = await replicas[i % 2].SendAsync(Get("/api/channels", service));
            Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        // A refusal is an answer, not a fault: Information lines, no warnings, no errors.
        var logs = first.Logs.Records.Skip(before.Item1).Concat(second.Logs.Records.Skip(before.Item2)).ToList();
        Assert.Equal(refused.Sum(), logs.Count(r => r.EventId.Name == "rate_limited" && r.Level == LogLevel.Information));
        Assert.DoesNotContain(logs, r => r.Level >= LogLevel.Warning && r.EventId.Name is not ("slow_request" or "slow_query"));
    }

    [Fact]
    public async Task Hub_calls_take_from_the_same_bucket_as_rest_while_sends_keep_their_own()
    {
        var settings = await SettingsAsync(ResourceNames.ChatDb);
        await using var api = new ServiceFactory<ChatDbContext>(settings);
        using var http = api.CreateClient();
        var user = await ChatUsers.RegisterAsync(Api, "hublimit");
        var channel = await user.CreateChannelAsync("public");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(http.BaseAddress!, "/hubs/chat"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(user.Token);
                o.HttpMessageHandlerFactory = _ => api.Server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            }).Build();
        await hub.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // Empty the bucket over REST; the hub's reads are refused with the same kind.
        HttpStatusCode last = HttpStatusCode.OK;
        for (var i = 0; i < Burst * 3 && last != HttpStatusCode.TooManyRequests; i++)
        {
            using var response = await http.SendAsync(Get("/api/channels", user.Token)).WaitAsync(TimeSpan.FromSeconds(30));
            last = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("GetMessagesAfter", channel, 0L, 10).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("RateLimited:", refused.Message, StringComparison.Ordinal);

        // A send is limited by the send bucket only, and is stored.
        var sent = await hub.InvokeAsync<JsonElement>("SendMessage", channel, new { content = "still heard", clientMessageId = Guid.NewGuid() }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, sent.GetProperty("seq").GetInt64());
        // Read back through the AppHost's replicas: the same Redis bucket (the user emptied it here), refilled at their own
        // rate, so the read waits for the Retry-After the refusal names.
        using var reader = user.Http();
        var history = await reader.GetAsync($"/api/channels/{channel}/messages");
        if (history.StatusCode == HttpStatusCode.TooManyRequests)
        {
            await Task.Delay(history.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            history.Dispose();
            history = await reader.GetAsync($"/api/channels/{channel}/messages");
        }
        using (history)
        {
            Assert.Equal(HttpStatusCode.OK, history.StatusCode);
            Assert.Single((await history.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        }
    }

    [Fact]
    public async Task Files_and_rag_limit_each_user_too_with_a_bucket_per_service()
    {
        await using var files = new ServiceFactory<global::Chat.Files.Data.FilesDbContext>(await SettingsAsync(ResourceNames.FilesDb))
            { ConfigureTestServices = TestServices.WithoutBackgroundWork };
        await using var rag = new ServiceFactory<global::Chat.RagService.Data.RagDbContext>(await SettingsAsync(ResourceNames.RagDb))
            { ConfigureTestServices = TestServices.WithoutBackgroundWork };
        var user = await ChatUsers.RegisterAsync(Api, "svclimit");

        foreach (var (service, path) in new[] { (files.CreateClient(), "/api/files"), (rag.CreateClient(), "/api/rag/documents") })
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < Burst * 3; i++)
            {
                using var response = await service.SendAsync(Get(path, user.Token));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.Equal("RateLimited", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
                    Assert.NotNull(response.Headers.RetryAfter?.Delta);
                }
            }
            Assert.True(statuses.Take(Burst).All(s => s == HttpStatusCode.OK), $"{path}: {string.Join(", ", statuses)}");
            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
            service.Dispose();
        }
    }

    private static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
