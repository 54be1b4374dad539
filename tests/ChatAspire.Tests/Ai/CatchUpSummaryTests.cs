using System.Net.Http.Headers;
using System.Text.Json;
using Chat.AiWorker;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Ai;

/// <summary>
/// "Catch me up" written by a configured model (issue #39): an in-process AI worker (no job consumers, so it takes no work
/// from the AppHost's) pointed at a real OpenAI-protocol server, reading the digest from the AppHost's Chat.Api.
/// </summary>
public sealed class CatchUpSummaryTests(AppHostFixture fixture) : IAsyncLifetime
{
    private FakeModelServer _model = null!;

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    public async ValueTask InitializeAsync() => _model = await FakeModelServer.StartAsync();

    public async ValueTask DisposeAsync() => await _model.DisposeAsync();

    private async Task<ServiceFactory<AiTelemetry>> WorkerAsync(string provider) => new(new Dictionary<string, string?>
    {
        ["ConnectionStrings:cache"] = await fixture.ConnectionStringAsync(ResourceNames.Redis),
        ["services:api:http:0"] = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0].ToString(),
        ["Ai:Provider"] = provider, ["Ai:Endpoint"] = _model.OpenAiEndpoint.ToString(), ["Ai:Model"] = "gpt-test", ["Ai:ApiKey"] = "test-key",
        ["Ai:Retries"] = "0",
    })
    { ConfigureTestServices = TestServices.WithoutBackgroundWork };

    private static HttpClient As(ServiceFactory<AiTelemetry> worker, ChatUser user)
    {
        var http = worker.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        return http;
    }

    [Fact]
    public async Task A_model_summarises_only_the_unread_messages_the_reader_may_read_and_its_citations_link_to_them()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "cus-a");
        var bob = await ChatUsers.RegisterAsync(Api, "cus-b");
        var mallory = await ChatUsers.RegisterAsync(Api, "cus-m");
        var channel = await alice.CreateChannelAsync("private");
        await alice.InviteAsync(channel, bob);
        var secret = await alice.CreateChannelAsync("private"); // bob is not a member
        (await alice.PostAsync(secret, "The acquisition of Northwind closes on the 14th, keep it quiet")).EnsureSuccessStatusCode();
        (await alice.PostAsync(channel, "Old news that bob has already read about the picnic")).EnsureSuccessStatusCode();
        var read = (await alice.HistoryAsync(channel)).Max(m => m.GetProperty("seq").GetInt64());
        foreach (var text in new[]
        {
            "We decided to ship release 4.2 on Friday after the database migration test passes",
            "Who can review the billing export before Thursday? It blocks the auditors",
            "I fixed the flaky login test, the build is green again",
        })
        {
            (await alice.PostAsync(channel, text)).EnsureSuccessStatusCode();
        }
        _model.Words = "Alice set release 4.2 for Friday [1] and asked for a review of the billing export [2]; the build is green [3]. [9]".Split(' ');
        await using var worker = await WorkerAsync("openai");
        using var http = As(worker, bob);

        using var response = await http.PostAsync($"/api/channels/{channel}/catch-up/summary?after={read}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(string.Join(' ', _model.Words), summary.GetProperty("summary").GetString());
        Assert.Equal("model", summary.GetProperty("mode").GetString());
        Assert.Equal(3, summary.GetProperty("unread").GetInt32());
        Assert.Equal([1, 2, 3], summary.GetProperty("cited").EnumerateArray().Select(n => n.GetInt32())); // [9] names no source
        // Source n is the digest's message n: the same links as the extractive digest, in channel order.
        var digest = await bob.Http().GetFromJsonAsync<JsonElement>($"/api/channels/{channel}/catch-up?after={read}&limit=12");
        var sources = summary.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal(digest.GetProperty("highlights").EnumerateArray().Select(h => h.GetProperty("message").GetProperty("id").GetGuid()),
            sources.Select(s => s.GetProperty("messageId").GetGuid()));
        Assert.All(sources, s => Assert.Equal(channel, s.GetProperty("channelId").GetGuid()));
        Assert.Equal(read + 1, sources[0].GetProperty("seq").GetInt64());

        // The model saw the unread messages and nothing else: not what bob had read, not a channel he cannot read.
        var prompt = Assert.Single(_model.Requests).GetRawText();
        Assert.Contains("ship release 4.2 on Friday", prompt, StringComparison.Ordinal);
        Assert.Contains("[3] ", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("picnic", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("Northwind", prompt, StringComparison.Ordinal);

        // Someone outside the channel is refused by Chat.Api's rule, and the model is not asked.
        using var outsider = As(worker, mallory);
        using var refused = await outsider.PostAsync($"/api/channels/{channel}/catch-up/summary", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var invalid = await http.PostAsync($"/api/channels/{channel}/catch-up/summary?limit=31", null);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using var anonymous = await worker.CreateClient().PostAsync($"/api/channels/{channel}/catch-up/summary", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Single(_model.Requests);

        // A model that fails: 503 with Retry-After (the extractive digest still works); no model configured: 409.
        _model.FailWithStatus = 500;
        using var failed = await http.PostAsync($"/api/channels/{channel}/catch-up/summary?after={read}", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.True(failed.Headers.RetryAfter is not null);
        // Each is a model call: a person may ask for 3 at once and 10 a minute (Ai:Summaries), then 429 with Retry-After.
        using var limited = await http.PostAsync($"/api/channels/{channel}/catch-up/summary?after={read}", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter is not null);
        await using var builtin = await WorkerAsync("builtin");
        using var noModel = await As(builtin, alice).PostAsync($"/api/channels/{channel}/catch-up/summary?after={read}", null);
        Assert.Equal(HttpStatusCode.Conflict, noModel.StatusCode);
        Assert.Equal("NoModel", (await noModel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }
}
