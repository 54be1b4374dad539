using System.Diagnostics;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

public sealed class SendLimitTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_per_user_send_limit_holds_across_both_api_replicas()
    {
        // Defaults: a burst of 20, refilled at 5 a second (Messages:SendBurst, Messages:SendPerSecond).
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        Assert.Equal(2, replicas.Count);
        var user = await ChatUsers.RegisterAsync(replicas[0], "limit");
        var channel = await user.CreateChannelAsync();
        var accepted = new int[2];
        var refused = new int[2];
        TimeSpan? retryAfter = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 60; i++)
        {
            var replica = i % 2;
            using var response = await user.PostAsync(channel, $"burst {i}", Guid.NewGuid(), replicas[replica]);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                accepted[replica]++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                retryAfter ??= response.Headers.RetryAfter?.Delta;
                refused[replica]++;
            }
        }
        var elapsed = clock.Elapsed.TotalSeconds;

        // One bucket for the user, whichever replica takes the send: a burst plus the refill, not a burst per replica.
        var allowed = 20 + (int)Math.Ceiling(5 * elapsed) + 1;
        Assert.True(accepted.Sum() >= 20, $"accepted {accepted.Sum()} in {elapsed:F2} s");
        Assert.True(accepted.Sum() <= allowed, $"accepted {accepted[0]} + {accepted[1]} in {elapsed:F2} s; at most {allowed} allowed");
        Assert.True(refused[0] > 0 && refused[1] > 0, $"refused {refused[0]} / {refused[1]}");
        Assert.NotNull(retryAfter);
        Assert.Equal(accepted.Sum(), (await user.HistoryAsync(channel, "?limit=100")).Length);
    }
}
