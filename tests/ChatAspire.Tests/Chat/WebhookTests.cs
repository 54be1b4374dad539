using System.Net.Http.Headers;
using System.Text;
using Chat.Api.Messages;
using Chat.Api.Webhooks;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Chat;

/// <summary>Incoming webhooks (docs/integrations.md): a Slack-style client posts into a channel through a secret URL.</summary>
public sealed class WebhookTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_webhook_posts_json_and_slack_form_payloads_that_two_live_members_see_as_the_bot()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "hookowner");
        var member = await ChatUsers.RegisterAsync(Api, "hookmember");
        var channel = await owner.CreateChannelAsync();
        await owner.InviteAsync(channel, member);
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        await using var ownerHub = await owner.ConnectAsync(replicas[0]);
        await using var memberHub = await member.ConnectAsync(replicas[^1]);
        var toOwner = Inbox(ownerHub);
        var toMember = Inbox(memberHub);

        var created = await CreateAsync(owner, channel, "CI");
        Assert.Equal("CI", created.Name);
        using var anonymous = new HttpClient();

        // JSON, as most tools send it.
        using (var json = await anonymous.PostAsJsonAsync(created.Url, new { text = "Build *42* passed", username = "" }))
        {
            Assert.Equal(HttpStatusCode.OK, json.StatusCode);
            Assert.Equal("ok", await json.Content.ReadAsStringAsync());
        }
        foreach (var inbox in new[] { toOwner, toMember })
        {
            var seen = await inbox.NextAsync(Wait, m => m.Type == MessageTypes.Bot);
            Assert.Equal(("Build *42* passed", "CI", channel), (seen.Content, seen.SenderName, seen.ChannelId));
        }

        // A Slack client's form with payload={json}, under a name of its own.
        using (var form = await anonymous.PostAsync(created.Url, new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["payload"] = """{"text": "Deploy to staging finished", "username": "deploy-bot"}""",
               })))
        {
            Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        }
        var deployed = await toMember.NextAsync(Wait, m => m.Content == "Deploy to staging finished");
        Assert.Equal(("deploy-bot", MessageTypes.Bot), (deployed.SenderName, deployed.Type));

        // Both are in the channel's history, in order, from the webhook's bot.
        var history = await member.HistoryAsync(channel);
        Assert.Equal(["Build *42* passed", "Deploy to staging finished"], history.Select(m => m.GetProperty("content").GetString()));
        Assert.Single(history.Select(m => m.GetProperty("senderId").GetGuid()).Distinct());
    }

    [Fact]
    public async Task A_wrong_secret_is_a_404_that_posts_nothing_and_a_deleted_webhook_stops_at_once()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "hookowner");
        var channel = await owner.CreateChannelAsync();
        var created = await CreateAsync(owner, channel, "Monitoring");
        using var anonymous = new HttpClient();

        var wrong = created.Url[..^4] + "AAAA";
        using (var refused = await anonymous.PostAsJsonAsync(wrong, new { text = "should not appear" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        using (var noSecret = await anonymous.PostAsJsonAsync(created.Url.Split('?')[0], new { text = "should not appear" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, noSecret.StatusCode);
        }
        Assert.Empty(await owner.HistoryAsync(channel));

        // Listed without its secret.
        using var http = owner.Http();
        var listed = await http.GetStringAsync($"/api/channels/{channel}/webhooks");
        Assert.Contains("Monitoring", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Url.Split("token=")[1], listed, StringComparison.Ordinal);

        using (var deleted = await http.DeleteAsync($"/api/channels/{channel}/webhooks/{created.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var after = await anonymous.PostAsJsonAsync(created.Url, new { text = "after revocation" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        }
        Assert.Empty(await owner.HistoryAsync(channel));
    }

    [Fact]
    public async Task Only_the_channels_owner_or_an_admin_manages_webhooks_and_bad_payloads_are_clear_400s()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "hookowner");
        var member = await ChatUsers.RegisterAsync(Api, "hookmember");
        var channel = await owner.CreateChannelAsync();
        await owner.InviteAsync(channel, member);

        using var memberHttp = member.Http();
        using (var refused = await memberHttp.PostAsJsonAsync($"/api/channels/{channel}/webhooks", new { name = "sneaky" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var listing = await memberHttp.GetAsync($"/api/channels/{channel}/webhooks"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, listing.StatusCode);
        }
        using var ownerHttp = owner.Http();
        using (var unnamed = await ownerHttp.PostAsJsonAsync($"/api/channels/{channel}/webhooks", new { name = " " }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        }

        var created = await CreateAsync(owner, channel, "CI");
        using var anonymous = new HttpClient();
        using (var empty = await anonymous.PostAsJsonAsync(created.Url, new { text = "   " }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
            Assert.Equal("application/problem+json", empty.Content.Headers.ContentType?.MediaType);
        }
        using (var garbage = await anonymous.PostAsync(created.Url, new StringContent("{not json", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        }
        using (var plain = await anonymous.PostAsync(created.Url, new StringContent("text", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        }
        using (var huge = await anonymous.PostAsync(created.Url, new StringContent($$"""{"text": "{{new string('x', 200_000)}}"}""", Encoding.UTF8, "application/json")))
        {
            Assert.True(huge.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, huge.StatusCode.ToString());
        }
        Assert.Empty(await owner.HistoryAsync(channel));
    }

    [Fact]
    public async Task A_webhook_has_a_send_limit_of_its_own()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "hookowner");
        var channel = await owner.CreateChannelAsync();
        var created = await CreateAsync(owner, channel, "Chatty");
        using var anonymous = new HttpClient();

        // The burst is the documented per-sender one (Messages:SendBurst, 20): a storm of 40 meets the limit.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await anonymous.PostAsJsonAsync(created.Url, new { text = $"flood {i}" });
            return response.StatusCode;
        }));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var accepted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(accepted, 20, 39);
        Assert.Equal(accepted, (await owner.HistoryAsync(channel, "?limit=100")).Length);
    }

    private static async Task<CreatedWebhookDto> CreateAsync(ChatUser owner, Guid channel, string name)
    {
        using var http = owner.Http();
        using var response = await http.PostAsJsonAsync($"/api/channels/{channel}/webhooks", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedWebhookDto>())!;
        Assert.Contains("/api/hooks/", created.Url, StringComparison.Ordinal);
        return created;
    }

    private static Inbox<MessageDto> Inbox(HubConnection hub)
    {
        var inbox = new Inbox<MessageDto>();
        hub.On<MessageDto>("MessageCreated", inbox.Add);
        return inbox;
    }
}
