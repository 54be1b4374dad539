using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Observability;

/// <summary>A WebSocket session is not a slow request (issue #14): it has its own histogram and stays out of the request metrics.</summary>
public sealed class SessionMetricsTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_hub_session_is_measured_as_a_session_and_not_as_an_http_request()
    {
        var replica = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var user = await ChatUsers.RegisterAsync(replica);
        using var http = new HttpClient { BaseAddress = replica };
        var before = await http.GetStringAsync("/metrics");

        var hub = await user.ConnectAsync(replica);
        await hub.StopAsync(); // a normal close
        await hub.DisposeAsync();

        await Poll.UntilAsync(async () =>
            MetricsText.Sum(await http.GetStringAsync("/metrics"), "websocket_session_duration_seconds_count", ("transport", "websockets"), ("outcome", "closed"))
            > MetricsText.Sum(before, "websocket_session_duration_seconds_count", ("transport", "websockets"), ("outcome", "closed")),
            TimeSpan.FromSeconds(10), "the session to be counted as closed");
        var after = await http.GetStringAsync("/metrics");
        Assert.Equal(0, MetricsText.Sum(after, "http_requests_total", ("endpoint", "/hubs/chat")));
        Assert.Equal(0, MetricsText.Sum(after, "http_request_duration_seconds_count", ("status", "101")));
        Assert.Equal(0, MetricsText.Sum(after, "http_server_request_duration_seconds_count", ("http_response_status_code", "101")));
    }
}
