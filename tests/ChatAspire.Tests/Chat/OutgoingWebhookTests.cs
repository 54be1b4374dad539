using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Chat.Api.Messages;
using Chat.Api.Webhooks;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatAspire.Tests.Chat;

/// <summary>
/// Issue #35, part 2 (outgoing webhooks): a message that starts with a trigger word is POSTed, signed, to the tool; its
/// answer is posted back as the webhook's bot and seen live; a failing tool gets retried with backoff; the owner reads
/// the delivery log; nothing else is sent.
/// </summary>
public sealed class OutgoingWebhookTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_trigger_word_posts_the_message_signed_and_the_answer_comes_back_as_the_bot_with_retries_and_a_log()
    {
        await using var tool = await Receiver.StartAsync();
        var owner = await ChatUsers.RegisterAsync(Api, "ow");
        var member = await ChatUsers.RegisterAsync(Api, "ow");
        var channel = await owner.CreateChannelAsync();
        await owner.InviteAsync(channel, member);
        using var http = owner.Http();

        foreach (var bad in new object[]
        {
            new { url = "ftp://example.org/x", triggerWords = new[] { "!deploy" } },
            new { url = "not a url", triggerWords = new[] { "!deploy" } },
            new { url = tool.Url, triggerWords = Array.Empty<string>() },
            new { url = tool.Url, triggerWords = new[] { "two words" } },
        })
        {
            using var refused = await http.PostAsJsonAsync($"/api/channels/{channel}/outgoing-webhooks", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        using (var byMember = await member.Http().PostAsJsonAsync($"/api/channels/{channel}/outgoing-webhooks", new { url = tool.Url, triggerWords = new[] { "!x" } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byMember.StatusCode);
        }
        using var created = await http.PostAsJsonAsync($"/api/channels/{channel}/outgoing-webhooks",
            new { url = tool.Url, triggerWords = new[] { "!deploy", "!status" }, name = "Deployer" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhook = (await created.Content.ReadFromJsonAsync<CreatedOutgoingWebhookDto>())!;
        Assert.False(string.IsNullOrEmpty(webhook.Secret));
        Assert.DoesNotContain(webhook.Secret, await http.GetStringAsync($"/api/channels/{channel}/outgoing-webhooks"), StringComparison.Ordinal);

        await using var hub = await owner.ConnectAsync();
        var live = new Inbox<MessageDto>();
        hub.On<MessageDto>("MessageCreated", live.Add);

        // Not a trigger: nothing goes out. A trigger: one signed POST, and the answer comes back as the bot.
        (await member.PostAsync(channel, "we should deploy soon")).EnsureSuccessStatusCode();
        tool.Answer = _ => (200, """{"text": "deploying **prod** now 🚀"}""");
        var sent = await (await member.PostAsync(channel, "!deploy prod")).Content.ReadFromJsonAsync<MessageDto>();
        var call = await tool.NextAsync(Wait);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhook.Secret), call.Body));
        Assert.Equal(expected, call.Signature);
        Assert.True(long.TryParse(call.Timestamp, out var at) && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - at) < 60, call.Timestamp);
        var payload = JsonDocument.Parse(call.Body).RootElement;
        Assert.Equal("!deploy prod", payload.GetProperty("text").GetString());
        Assert.Equal("!deploy", payload.GetProperty("triggerWord").GetString());
        Assert.Equal(sent!.Id, payload.GetProperty("messageId").GetGuid());
        Assert.Equal(member.UserName, payload.GetProperty("userName").GetString());
        MessageDto answer;
        do
        {
            answer = await live.NextAsync(Wait);
        }
        while (answer.SenderId != webhook.BotUserId);
        Assert.Equal(("deploying **prod** now 🚀", MessageTypes.Bot, "Deployer"), (answer.Content, answer.Type, answer.SenderName));

        // A tool that fails is tried again (with backoff) until it answers; its own answer never triggers it again.
        var failures = 1;
        tool.Answer = _ => Interlocked.Decrement(ref failures) >= 0 ? (503, "busy") : (200, """{"text": "all green"}""");
        (await member.PostAsync(channel, "!STATUS please")).EnsureSuccessStatusCode();
        Assert.Equal(503, (await tool.NextAsync(Wait)).Status);
        Assert.Equal(200, (await tool.NextAsync(TimeSpan.FromSeconds(30))).Status);
        await Poll.UntilAsync(async () => (await owner.HistoryAsync(channel)).Any(m => m.GetProperty("content").GetString() == "all green"), Wait,
            "the answer after the retry");

        // The log: newest first, each with its attempts and outcome; a member may not read it.
        var log = await http.GetFromJsonAsync<DeliveryDto[]>($"/api/channels/{channel}/outgoing-webhooks/{webhook.Id}/deliveries");
        Assert.Equal(2, log!.Length);
        Assert.Equal((DeliveryStatus.Delivered, 2, 200), (log[0].Status, log[0].Attempts, log[0].LastStatusCode));
        Assert.Equal((DeliveryStatus.Delivered, 1, sent.Id), (log[1].Status, log[1].Attempts, log[1].MessageId));
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Http().GetAsync($"/api/channels/{channel}/outgoing-webhooks/{webhook.Id}/deliveries")).StatusCode);
        Assert.Equal(3, tool.Calls); // the plain message and the bot's own answers were never sent

        // Revoked: nothing more goes out. A second webhook on the same trigger is the witness: once it has the message,
        // the dispatcher has looked at it, and the revoked one would have had its delivery in the same pass.
        await using var witness = await Receiver.StartAsync();
        (await http.PostAsJsonAsync($"/api/channels/{channel}/outgoing-webhooks", new { url = witness.Url, triggerWords = new[] { "!deploy" } }))
            .EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/channels/{channel}/outgoing-webhooks/{webhook.Id}")).StatusCode);
        (await member.PostAsync(channel, "!deploy again")).EnsureSuccessStatusCode();
        Assert.Equal("!deploy again", JsonDocument.Parse((await witness.NextAsync(Wait)).Body).RootElement.GetProperty("text").GetString());
        Assert.Equal(3, tool.Calls);
    }

    /// <summary>The tool on the other end: records each call and answers as told.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly System.Threading.Channels.Channel<Call> _calls = System.Threading.Channels.Channel.CreateUnbounded<Call>();
        private int _count;

        public sealed record Call(byte[] Body, string? Signature, string? Timestamp, int Status);

        private Receiver(WebApplication app) => _app = app;

        public Func<byte[], (int Status, string Body)> Answer { get; set; } = _ => (200, "{}");
        public int Calls => _count;
        public string Url => new Uri(new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook").ToString();

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                var body = buffer.ToArray();
                var (status, text) = receiver.Answer(body);
                Interlocked.Increment(ref receiver._count);
                receiver._calls.Writer.TryWrite(new Call(body, context.Request.Headers["X-ChatAspire-Signature"], context.Request.Headers["X-ChatAspire-Timestamp"], status));
                context.Response.StatusCode = status;
                context.Response.ContentType = status == 200 ? "application/json" : "text/plain";
                await context.Response.WriteAsync(text);
            });
            await app.StartAsync();
            return receiver;
        }

        public async Task<Call> NextAsync(TimeSpan timeout) => await _calls.Reader.ReadAsync().AsTask().WaitAsync(timeout);

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
