using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// <c>redis_connection_failures_total{connection}</c>: every time a service loses its Redis connection (interactive or
/// subscription), however briefly. Readiness is probed every 10 s, so an outage of a few seconds (a crash and an
/// orchestrator's restart) can fall between two probes; this counter cannot miss it, and <c>RedisConnectionLost</c>
/// alerts on it. The series start at 0, so the first failure is an increase Prometheus sees.
/// </summary>
public sealed class RedisConnectionMetrics(IServiceProvider services, IMeterFactory meterFactory) : IHostedService
{
    public const string MeterName = "ChatAspire.Redis";

    private Counter<long>? _failures;
    private IConnectionMultiplexer? _redis;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _redis = services.GetService<IConnectionMultiplexer>();
        if (_redis is null)
        {
            return Task.CompletedTask;
        }
        _failures = meterFactory.Create(MeterName).CreateCounter<long>("redis_connection_failures",
            description: "Redis connections lost (interactive or subscription); each reconnects by itself.");
        foreach (var kind in (string[])["interactive", "subscription"])
        {
            _failures.Add(0, new KeyValuePair<string, object?>("connection", kind));
        }
        _redis.ConnectionFailed += OnFailed;
        return Task.CompletedTask;
    }

    private void OnFailed(object? sender, ConnectionFailedEventArgs e) =>
        _failures?.Add(1, new KeyValuePair<string, object?>("connection", e.ConnectionType == ConnectionType.Subscription ? "subscription" : "interactive"));

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_redis is not null)
        {
            _redis.ConnectionFailed -= OnFailed;
        }
        return Task.CompletedTask;
    }
}
