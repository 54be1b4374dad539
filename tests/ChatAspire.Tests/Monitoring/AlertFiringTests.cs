using Aspire.Hosting.ApplicationModel;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Tests.Monitoring;

/// <summary>
/// Breaks a dependency in an AppHost of its own (the shared one must stay healthy for other tests). It sits in the shared
/// collection only so the two AppHosts never start at the same moment: two DCP instances starting together can hand out
/// the same ports.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class AlertFiringTests
{
    [Fact]
    public async Task Stopping_redis_makes_DependencyUnhealthy_pending_or_firing_for_redis()
    {
        await using var app = await AppHostFixture.StartAsync([]);
        using var prometheus = PrometheusClient.For(app);
        var commands = app.Services.GetRequiredService<ResourceCommandService>();

        var result = await commands.ExecuteCommandAsync(ResourceNames.Redis, "resource-stop");
        Assert.True(result.Success, result.Message);

        var alerted = await PrometheusClient.EventuallyAsync(async () =>
            (await prometheus.AlertsAsync()).Any(a =>
                a.GetProperty("labels").GetProperty("alertname").GetString() == "DependencyUnhealthy"
                && a.GetProperty("labels").GetProperty("check").GetString() == "redis"
                && a.GetProperty("state").GetString() is "pending" or "firing"),
            TimeSpan.FromSeconds(60));

        Assert.True(alerted, "no DependencyUnhealthy alert for redis: " + string.Join("\n", (await prometheus.AlertsAsync()).Select(a => a.ToString())));
    }
}
