using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>Stops and starts the AppHost's resources as a person does from the dashboard (its stop and start commands).</summary>
public static class AppResources
{
    /// <summary>The ids of a resource's running instances (one per replica).</summary>
    public static async Task<IReadOnlyList<string>> InstancesAsync(this DistributedApplication app, string resource)
    {
        var expected = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource)
            .Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
        var found = new SortedSet<string>(StringComparer.Ordinal);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.Resource.Name == resource)
            {
                found.Add(e.ResourceId);
            }
            if (found.Count == expected)
            {
                break;
            }
        }
        return [.. found];
    }

    public static async Task StopAsync(this DistributedApplication app, string resource)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        foreach (var id in await app.InstancesAsync(resource))
        {
            var result = await commands.ExecuteCommandAsync(id, KnownResourceCommands.StopCommand);
            Assert.True(result.Success, $"stopping {id}: {result.Message}");
            await app.WaitForStateAsync(id, state => state is not (null or "Running" or "Starting" or "Stopping"));
        }
    }

    /// <summary>Starts every instance of <paramref name="resource"/> again and waits until each is healthy.</summary>
    public static async Task StartAsync(this DistributedApplication app, string resource)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        foreach (var id in await app.InstancesAsync(resource))
        {
            await Poll.UntilAsync(async () => (await commands.ExecuteCommandAsync(id, KnownResourceCommands.StartCommand)).Success,
                TimeSpan.FromSeconds(30), $"{id} to accept the start command");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        foreach (var id in await app.InstancesAsync(resource))
        {
            await app.WaitForStateAsync(id, state => state == "Running", healthy: true);
        }
    }

    private static async Task WaitForStateAsync(this DistributedApplication app, string resourceId, Func<string?, bool> state, bool healthy = false)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.ResourceId == resourceId && state(e.Snapshot.State?.Text) && (!healthy || e.Snapshot.HealthStatus == HealthStatus.Healthy))
            {
                return;
            }
        }
    }
}
