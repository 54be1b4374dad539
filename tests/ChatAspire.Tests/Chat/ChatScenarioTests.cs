using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Chat;

public sealed class ChatScenarioTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Members_of_a_private_channel_exchange_messages_live_and_outsiders_cannot_read_post_or_subscribe()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "alice");
        var bob = await ChatUsers.RegisterAsync(Api, "bob");
        var mallory = await ChatUsers.RegisterAsync(Api, "mallory");
        var channel = await alice.CreateChannelAsync("private");
        await alice.InviteAsync(channel, bob);
        await using var aliceHub = await alice.ConnectAsync();
        await using var bobHub = await bob.ConnectAsync();
        var toBob = Inbox(bobHub);
        var toAlice = Inbox(aliceHub);

        var sent = await aliceHub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("hello bob"));
        await bobHub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("hi alice"));

        Assert.Equal("hello bob", (await toBob.NextAsync(Wait)).Content);
        Assert.Equal("hi alice", (await toAlice.NextAsync(Wait, m => m.SenderId == bob.Id)).Content);
        Assert.Equal(alice.Id, sent.SenderId);

        using var malloryHttp = mallory.Http();
        Assert.Equal(HttpStatusCode.Forbidden, (await malloryHttp.GetAsync($"/api/channels/{channel}/messages")).StatusCode);
        using var post = await mallory.PostAsync(channel, "let me in");
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
        await using var malloryHub = await mallory.ConnectAsync();
        var subscribe = await Assert.ThrowsAsync<HubException>(() => malloryHub.InvokeAsync("Subscribe", channel));
        Assert.Contains("not a member", subscribe.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => malloryHub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("x")));
        Assert.Equal(2, (await alice.HistoryAsync(channel)).Length);
    }

    [Fact]
    public async Task A_guest_can_read_a_public_channel_but_not_post()
    {
        var admin = await ChatUsers.AdminAsync(Api);
        var owner = await ChatUsers.RegisterAsync(Api, "owner");
        var guest = await ChatUsers.RegisterAsync(Api, "guest");
        using var adminHttp = admin.Http();
        (await adminHttp.PutAsJsonAsync($"/api/users/{guest.Id}/role", new { role = "guest" })).EnsureSuccessStatusCode();
        guest = await ChatUsers.LoginAsync(Api, guest.UserName); // the new role is in the next token
        var channel = await owner.CreateChannelAsync("public");
        (await owner.PostAsync(channel, "welcome")).EnsureSuccessStatusCode();

        using var guestHttp = guest.Http();
        using var join = await guestHttp.PostAsync($"/api/channels/{channel}/join", null);
        using var post = await guest.PostAsync(channel, "can I?");

        Assert.Single(await guest.HistoryAsync(channel));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("Guests", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await owner.HistoryAsync(channel));
    }

    [Fact]
    public async Task Sending_twice_with_the_same_client_message_id_stores_one_message_and_returns_it_both_times()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();
        var clientId = Guid.NewGuid();

        using var first = await alice.PostAsync(channel, "only once", clientId);
        using var second = await alice.PostAsync(channel, "only once", clientId);
        await using var hub = await alice.ConnectAsync();
        var third = await hub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("only once", clientId));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<MessageDto>();
        var b = await second.Content.ReadFromJsonAsync<MessageDto>();
        Assert.Equal(a!.Id, b!.Id);
        Assert.Equal(a.Id, third.Id);
        var history = await alice.HistoryAsync(channel);
        Assert.Single(history);
        // The duplicate did not use up a sequence number: the next message is seq 2.
        using var next = await alice.PostAsync(channel, "next");
        Assert.Equal(2, (await next.Content.ReadFromJsonAsync<MessageDto>())!.Seq);
    }

    [Fact]
    public async Task A_client_that_reconnects_gets_exactly_the_missed_messages_in_order_after_its_last_seq()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        var bob = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        (await alice.PostAsync(channel, "before")).EnsureSuccessStatusCode();
        var bobHub = await bob.ConnectAsync();
        var inbox = Inbox(bobHub);
        (await alice.PostAsync(channel, "seen live")).EnsureSuccessStatusCode();
        var lastSeen = (await inbox.NextAsync(Wait)).Seq;
        await bobHub.DisposeAsync();

        var missed = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            missed.Add($"missed {i}");
            (await alice.PostAsync(channel, $"missed {i}")).EnsureSuccessStatusCode();
        }
        await using var again = await bob.ConnectAsync();
        var caughtUp = await again.InvokeAsync<IReadOnlyList<MessageDto>>("GetMessagesAfter", channel, lastSeen, 100);

        Assert.Equal(missed, caughtUp.Select(m => m.Content));
        Assert.Equal(Enumerable.Range((int)lastSeen + 1, 5).Select(i => (long)i), caughtUp.Select(m => m.Seq));
        Assert.Empty(await again.InvokeAsync<IReadOnlyList<MessageDto>>("GetMessagesAfter", channel, caughtUp[^1].Seq, 100));
    }

    [Fact]
    public async Task A_client_on_replica_one_receives_in_real_time_a_message_posted_through_replica_two()
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        Assert.Equal(2, replicas.Count);
        var alice = await ChatUsers.RegisterAsync(Api);
        var bob = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        await using var bobOnReplica1 = await bob.ConnectAsync(replicas[0]);
        var inbox = Inbox(bobOnReplica1);

        using var posted = await alice.PostAsync(channel, "across replicas", replica: replicas[1]);

        posted.EnsureSuccessStatusCode();
        Assert.Equal("across replicas", (await inbox.NextAsync(Wait)).Content);
    }

    [Fact]
    public async Task Too_long_or_too_fast_gets_a_clear_error_and_stores_nothing()
    {
        var replica = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var alice = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();

        using var tooLong = await alice.PostAsync(channel, new string('x', 4001), replica: replica);
        var problem = await tooLong.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("limit is 4000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await alice.HistoryAsync(channel));

        var statuses = new List<HttpStatusCode>();
        // 20 sends of burst, then 5 a second: however slow the machine, a refusal comes well before 200 sends.
        for (var i = 0; i < 200 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await alice.PostAsync(channel, $"burst {i}", replica: replica);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter is not null);
                Assert.Contains("too fast", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        var accepted = statuses.Count(s => s == HttpStatusCode.Created);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(accepted, (await alice.HistoryAsync(channel, "?limit=100")).Length);
    }

    [Fact]
    public async Task Search_finds_readable_messages_only()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        var eve = await ChatUsers.RegisterAsync(Api);
        var secret = await alice.CreateChannelAsync("private");
        var word = $"zebra{Guid.NewGuid():N}"[..16];
        (await alice.PostAsync(secret, $"the {word} is hidden")).EnsureSuccessStatusCode();

        using var aliceHttp = alice.Http();
        using var eveHttp = eve.Http();
        var aliceFinds = await aliceHttp.GetFromJsonAsync<MessageDto[]>($"/api/messages/search?q={word}");
        var eveFinds = await eveHttp.GetFromJsonAsync<MessageDto[]>($"/api/messages/search?q={word}");

        Assert.Single(aliceFinds!);
        Assert.Empty(eveFinds!);
    }

    [Fact]
    public async Task A_hub_handshake_from_a_foreign_origin_is_refused()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        using var http = alice.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/chat/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static Inbox<MessageDto> Inbox(HubConnection hub)
    {
        var inbox = new Inbox<MessageDto>();
        hub.On<MessageDto>("MessageCreated", inbox.Add);
        return inbox;
    }
}

/// <summary>Collects hub events so a test can wait for the next one that matches.</summary>
public sealed class Inbox<T>
{
    private readonly BlockingCollection<T> _items = [];

    public void Add(T item) => _items.Add(item);

    public async Task<T> NextAsync(TimeSpan timeout, Func<T, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        return await Task.Run(() =>
        {
            while (DateTime.UtcNow < deadline)
            {
                if (_items.TryTake(out var item, deadline - DateTime.UtcNow) && (match is null || match(item)))
                {
                    return item;
                }
            }
            throw new TimeoutException($"No matching {typeof(T).Name} within {timeout}.");
        });
    }
}
