using ChatAspire.ServiceDefaults.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace ChatAspire.Tests.Observability;

/// <summary>Health is logged as changes of a dependency's state, never while it is still starting (issue #14).</summary>
public sealed class HealthLogTests
{
    [Fact]
    public async Task A_dependency_still_starting_logs_nothing_one_that_fails_later_logs_once_and_its_recovery_once()
    {
        var logs = new LogCapture();
        using var services = new ServiceCollection().AddMetrics().AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)).BuildServiceProvider();
        var health = ActivatorUtilities.CreateInstance<HealthMetrics>(services);

        foreach (var status in (HealthStatus[])[HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Healthy, HealthStatus.Healthy,
                     HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Healthy])
        {
            await health.PublishAsync(Report(status), CancellationToken.None);
        }

        var records = logs.Records.Where(r => r.Category == typeof(HealthMetrics).FullName).ToList();
        Assert.Equal(["dependency_unhealthy", "dependency_recovered"], records.Select(r => r.EventId.Name));
        Assert.Equal([LogLevel.Warning, LogLevel.Information], records.Select(r => r.Level));
        Assert.Equal("redis", records[0].Fields["Check"]);
    }

    private static HealthReport Report(HealthStatus status) =>
        new(new Dictionary<string, HealthReportEntry> { ["redis"] = new(status, status == HealthStatus.Healthy ? null : "no answer", TimeSpan.Zero, null, null) },
            TimeSpan.Zero);
}
