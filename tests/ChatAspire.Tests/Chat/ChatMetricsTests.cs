using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Chat;

[Collection(ExclusiveCollection.Name)]
public sealed class ChatMetricsTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Chat_metrics_count_the_scenario_with_the_right_labels()
    {
        var replica = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        using var scrape = new HttpClient { BaseAddress = replica };
        var alice = await ChatUsers.RegisterAsync(replica);
        var channel = await alice.CreateChannelAsync();
        var before = await scrape.GetStringAsync("/metrics");

        await using var hub = await alice.ConnectAsync(replica);
        for (var i = 0; i < 3; i++)
        {
            await hub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest($"metric {i}"));
        }
        var during = await scrape.GetStringAsync("/metrics");

        double Delta(string name, params (string, string)[] labels) => MetricsText.Sum(during, name, labels) - MetricsText.Sum(before, name, labels);
        Assert.Equal(3, Delta("chat_messages_sent_total", ("user_role", "admin"), ("message_type", "user"))
            + Delta("chat_messages_sent_total", ("user_role", "user"), ("message_type", "user")));
        Assert.True(Delta("websocket_messages_total", ("direction", "in")) >= 3);
        Assert.True(Delta("websocket_messages_total", ("direction", "out")) >= 3);
        Assert.True(Delta("websocket_connection_attempts_total", ("outcome", "success")) >= 1);
        Assert.True(MetricsText.Sum(during, "websocket_connections_active") >= 1);
        // The sender's name is looked up for every send: the first may load it, the later ones hit the cache.
        Assert.True(Delta("cache_hits_total", ("cache", "user_names")) + Delta("cache_misses_total", ("cache", "user_names")) >= 3);
        Assert.True(Delta("cache_hits_total", ("cache", "user_names")) >= 2);
        Assert.True(MetricsText.Sum(during, "database_queries_total", ("operation", "insert")) > MetricsText.Sum(before, "database_queries_total", ("operation", "insert")));

        // active_users comes from the presence heartbeat (every 10 s) and counts users on every replica.
        var active = await Poll.EventuallyAsync(async () =>
            MetricsText.Sum(await scrape.GetStringAsync("/metrics"), "active_users") >= 1, TimeSpan.FromSeconds(25));
        Assert.True(active);

        // The client's StopAsync returns once its close is sent; the replica runs OnDisconnectedAsync when the close
        // arrives, so the gauge is awaited rather than read once.
        await hub.StopAsync();
        var open = MetricsText.Sum(during, "websocket_connections_active");
        var after = open;
        await Poll.UntilAsync(async () => (after = MetricsText.Sum(await scrape.GetStringAsync("/metrics"), "websocket_connections_active")) < open,
            TimeSpan.FromSeconds(10), "websocket_connections_active to drop after the hub connection closed");
        Assert.Equal(open - 1, after);
    }
}
