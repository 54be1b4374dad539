using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly.CircuitBreaker;

namespace Chat.AiWorker.Providers;

/// <summary>What the worker knows about its provider; readiness check <c>ai_provider</c> reports it.</summary>
public sealed class ProviderHealth : IHealthCheck
{
    public const string CheckName = "ai_provider";

    private readonly Lock _gate = new();
    private DateTimeOffset _lastSuccess = DateTimeOffset.MinValue;
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;
    private string? _lastError;

    public CircuitBreakerStateProvider Circuit { get; } = new();

    public void Succeeded()
    {
        lock (_gate)
        {
            _lastSuccess = DateTimeOffset.UtcNow;
        }
    }

    public void Failed(Exception ex)
    {
        lock (_gate)
        {
            _lastFailure = DateTimeOffset.UtcNow;
            _lastError = ex.GetType().Name;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (Circuit.CircuitState is CircuitState.Open or CircuitState.Isolated)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"circuit open after repeated failures ({_lastError})"));
            }
            if (_lastFailure > _lastSuccess)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"last request failed ({_lastError})"));
            }
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }
}
