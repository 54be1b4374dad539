using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Publishes every readiness check's latest result as <c>health_check_status{check}</c> (1 healthy, 0.5 degraded,
/// 0 unhealthy), so Prometheus can alert on a broken dependency even though it never calls <c>/health/ready</c>.
/// </summary>
public sealed class HealthMetrics : IHealthCheckPublisher
{
    public const string MeterName = "ChatAspire.Health";

    private readonly ConcurrentDictionary<string, double> _latest = new();

    public HealthMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("health_check_status", Observe, description: "Latest health check result: 1 healthy, 0.5 degraded, 0 unhealthy.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries)
        {
            _latest[name] = entry.Status switch
            {
                HealthStatus.Healthy => 1,
                HealthStatus.Degraded => 0.5,
                _ => 0,
            };
        }
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<double>> Observe() =>
        _latest.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("check", kv.Key)));
}
