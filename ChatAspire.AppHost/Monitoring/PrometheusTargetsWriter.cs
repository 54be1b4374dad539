using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace ChatAspire.AppHost.Monitoring;

/// <summary>
/// Keeps Prometheus' file-discovery targets in step with the running replicas: one target per replica,
/// labelled <c>job</c> (the service) and <c>instance</c> (the replica). A replica that stops stays listed, so <c>up</c> reports it.
/// </summary>
internal sealed class PrometheusTargetsWriter(ResourceNotificationService notifications, PrometheusTargetsWriter.Settings settings) : BackgroundService
{
    public sealed record Settings(string TargetsFile, IReadOnlyList<string> Services);

    private readonly Dictionary<string, (string Job, string Address)> _targets = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in notifications.WatchAsync(stoppingToken))
            {
                if (e.Resource is not ProjectResource || !settings.Services.Contains(e.Resource.Name))
                {
                    continue;
                }
                var urls = e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
                var http = urls?.Split(';').FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal));
                if (http is null || !Uri.TryCreate(http, UriKind.Absolute, out var uri))
                {
                    continue;
                }
                var target = (e.Resource.Name, $"localhost:{uri.Port}");
                if (_targets.TryGetValue(e.ResourceId, out var known) && known == target)
                {
                    continue;
                }
                _targets[e.ResourceId] = target;
                await WriteAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(CancellationToken ct)
    {
        var groups = _targets.Select(t => new
        {
            targets = new[] { t.Value.Address },
            labels = new Dictionary<string, string> { ["job"] = t.Value.Job, ["instance"] = t.Key },
        });
        var dir = Path.GetDirectoryName(settings.TargetsFile)!;
        Directory.CreateDirectory(dir);
        var temp = settings.TargetsFile + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(groups), ct);
        File.Move(temp, settings.TargetsFile, overwrite: true); // atomic: Prometheus never reads half a file
    }
}
