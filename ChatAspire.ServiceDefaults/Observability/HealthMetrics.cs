using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Publishes every readiness check's latest result as <c>health_check_status{check}</c> (1 healthy, 0.5 degraded,
/// 0 unhealthy), so Prometheus can alert on a broken dependency even though it never calls <c>/health/ready</c>.
/// It also owns the health log: a dependency that was healthy and stops being so logs one warning
/// (<c>dependency_unhealthy</c>), its recovery one information line. A dependency that has not been healthy yet is
/// still starting: no log (the framework's own per-probe log is switched off in ServiceDefaults).
/// </summary>
public sealed partial class HealthMetrics : IHealthCheckPublisher
{
    public const string MeterName = "ChatAspire.Health";
    public const string FrameworkLogCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    private readonly ConcurrentDictionary<string, double> _latest = new();
    private readonly ConcurrentDictionary<string, bool> _wasHealthy = new();
    private readonly ILogger<HealthMetrics> _logger;

    public HealthMetrics(IMeterFactory meterFactory, ILogger<HealthMetrics> logger)
    {
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("health_check_status", Observe, description: "Latest health check result: 1 healthy, 0.5 degraded, 0 unhealthy.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries)
        {
            var previous = _latest.TryGetValue(name, out var p) ? p : (double?)null;
            var current = entry.Status switch
            {
                HealthStatus.Healthy => 1,
                HealthStatus.Degraded => 0.5,
                _ => 0,
            };
            _latest[name] = current;
            if (current == 1)
            {
                if (previous is < 1 && _wasHealthy.ContainsKey(name))
                {
                    LogRecovered(_logger, name);
                }
                _wasHealthy[name] = true;
            }
            else if (_wasHealthy.ContainsKey(name) && (previous is null || previous > current))
            {
                LogUnhealthy(_logger, name, entry.Status.ToString(), entry.Description ?? entry.Exception?.GetType().Name ?? "");
            }
        }
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1301, EventName = "dependency_unhealthy", Level = LogLevel.Warning,
        Message = "dependency_unhealthy {Check}: {Status} ({Reason})")]
    private static partial void LogUnhealthy(ILogger logger, string check, string status, string reason);

    [LoggerMessage(EventId = 1302, EventName = "dependency_recovered", Level = LogLevel.Information, Message = "dependency_recovered {Check}")]
    private static partial void LogRecovered(ILogger logger, string check);

    private IEnumerable<Measurement<double>> Observe() =>
        _latest.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("check", kv.Key)));
}
