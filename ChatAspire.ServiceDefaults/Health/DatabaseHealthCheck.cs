using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatAspire.ServiceDefaults.Health;

/// <summary>Runs <c>SELECT 1</c> through the service's DbContext. Reports only the failure kind.</summary>
internal sealed class DatabaseHealthCheck<TContext>(IServiceScopeFactory scopes) : IHealthCheck where TContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var upkeep = Data.DatabaseQueryObserver.Upkeep(); // a probe is not a slow query
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("connection failed");
        }
        catch (OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("no answer");
        }
    }
}
