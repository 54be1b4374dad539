using System.Net.Http.Headers;
using System.Text.Json;
using Chat.Api.Accounts;
using Chat.Api.Messages;
using ChatAspire.Tests.Chat;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Security;

/// <summary>
/// Issue #35, part 2 (bot tokens): an admin creates a bot whose token works on the REST API and the hub, only in the
/// channels it was added to; revoking it ends its token and its live connection within seconds; both are audited.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class BotTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_bot_token_works_on_rest_and_the_hub_only_in_its_channels_until_it_is_revoked()
    {
        var admin = await ChatUsers.AdminAsync(Api);
        var owner = await ChatUsers.RegisterAsync(Api, "bo");
        var name = $"ci-bot-{Guid.NewGuid():N}"[..16];

        // Only admins create bots; the token is shown once, never listed.
        using (var byUser = await owner.Http().PostAsJsonAsync("/api/admin/bots", new { name }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byUser.StatusCode);
        }
        using (var reserved = await admin.Http().PostAsJsonAsync("/api/admin/bots", new { name = "assistant" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        }
        using var created = await admin.Http().PostAsJsonAsync("/api/admin/bots", new { name, displayName = "CI bot" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var bot = (await created.Content.ReadFromJsonAsync<CreatedBotDto>())!;
        Assert.StartsWith("cab_", bot.Token, StringComparison.Ordinal);
        var listed = await admin.Http().GetStringAsync("/api/admin/bots");
        Assert.Contains(name, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(bot.Token, listed, StringComparison.Ordinal);
        using var botHttp = new HttpClient { BaseAddress = Api };
        botHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bot.Token);

        // Its channels only: not a public channel it was not added to, not one it creates, not a direct message.
        var home = await owner.CreateChannelAsync("private");
        var elsewhere = await owner.CreateChannelAsync("public");
        Assert.Equal(HttpStatusCode.Forbidden, (await botHttp.GetAsync($"/api/channels/{elsewhere}/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await botHttp.PostAsJsonAsync($"/api/channels/{elsewhere}/join", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await botHttp.PostAsJsonAsync("/api/channels", new { name = "bot-made", kind = "public" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await botHttp.PostAsync($"/api/direct/{owner.Id}", null)).StatusCode);
        Assert.Empty(await botHttp.GetFromJsonAsync<JsonElement[]>("/api/channels") ?? []);

        (await owner.Http().PostAsJsonAsync($"/api/channels/{home}/members", new { userId = bot.Id })).EnsureSuccessStatusCode();
        var channels = await botHttp.GetFromJsonAsync<JsonElement[]>("/api/channels");
        Assert.Equal([home], channels!.Select(c => c.GetProperty("id").GetGuid()));

        // REST: a post from the bot reaches a member live, marked as a bot's.
        await using var ownerHub = await owner.ConnectAsync();
        var seen = new Inbox<MessageDto>();
        ownerHub.On<MessageDto>("MessageCreated", seen.Add);
        using (var post = await botHttp.PostAsJsonAsync($"/api/channels/{home}/messages", new { content = "build 42 passed ✅", clientMessageId = Guid.NewGuid() }))
        {
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        var live = await seen.NextAsync(Wait);
        Assert.Equal(("build 42 passed ✅", bot.Id, "CI bot", MessageTypes.Bot), (live.Content, live.SenderId, live.SenderName, live.Type));

        // The hub, with the same token: it hears the channel and can post through the hub too.
        var botHub = new HubConnectionBuilder()
            .WithUrl(new Uri(Api, "/hubs/chat"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(bot.Token);
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            })
            .Build();
        var heard = new Inbox<MessageDto>();
        botHub.On<MessageDto>("MessageCreated", heard.Add);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        botHub.On("Ready", () => ready.TrySetResult());
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        botHub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await botHub.StartAsync();
        await ready.Task.WaitAsync(Wait);
        using (var post = await owner.PostAsync(home, "deploy please"))
        {
            post.EnsureSuccessStatusCode();
        }
        Assert.Equal("deploy please", (await heard.NextAsync(Wait)).Content);
        var viaHub = await botHub.InvokeAsync<MessageDto>("SendMessage", home, new SendMessageRequest("deployed", Guid.NewGuid()));
        Assert.Equal(MessageTypes.Bot, viaHub.Type);

        // Revoked: the token stops at once and the live connection closes within seconds.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http().DeleteAsync($"/api/admin/bots/{bot.Id}")).StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Poll.UntilAsync(async () => (await botHttp.GetAsync("/api/channels")).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(15),
            "the revoked bot token to be refused");
        await botHub.DisposeAsync();

        var audit = await admin.Http().GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?limit=50");
        var actions = audit!.Where(e => e.GetProperty("targetId").GetString() == bot.Id.ToString()).Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("bot_created", actions);
        Assert.Contains("bot_revoked", actions);
    }
}
