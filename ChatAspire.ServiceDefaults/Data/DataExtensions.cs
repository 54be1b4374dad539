using Microsoft.Extensions.Configuration;
using ChatAspire.ServiceDefaults.Data;
using ChatAspire.ServiceDefaults.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>Database and Redis wiring every owning service uses the same way.</summary>
public static class DataExtensions
{
    public const string PostgresCheckName = "postgres";
    public const string RedisCheckName = "redis";

    /// <summary>
    /// Registers <typeparamref name="TContext"/> on Postgres with query metrics, slow-query logs, tracing,
    /// a <c>postgres</c> readiness check and migrations applied at start-up.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TContext>(this IHostApplicationBuilder builder, string connectionName)
        where TContext : DbContext
    {
        builder.Services.TryAddSingleton<DatabaseQueryObserver>();
        builder.Services.AddDbContextPool<TContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)
                ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing."))
            .AddInterceptors(sp.GetRequiredService<DatabaseQueryObserver>()));
        // Retries off: our transactions are explicit, and a retrying strategy would need every one wrapped.
        builder.EnrichNpgsqlDbContext<TContext>(settings =>
        {
            settings.DisableHealthChecks = true;
            settings.DisableRetry = true;
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            PostgresCheckName,
            sp => ActivatorUtilities.CreateInstance<DatabaseHealthCheck<TContext>>(sp),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag],
            TimeSpan.FromSeconds(5)));
        builder.Services.AddHostedService<MigrationHostedService<TContext>>();
        return builder;
    }

    /// <summary>
    /// Settings every Redis connection of ours uses: keep retrying when Redis is down at start, and complete on the .NET
    /// thread pool rather than StackExchange.Redis's dedicated scheduler, whose thread hand-offs were the largest
    /// single CPU cost under chat load (bench/results/chat-profile.md).
    /// </summary>
    public static void ConfigureRedis(StackExchange.Redis.ConfigurationOptions options)
    {
        options.AbortOnConnectFail = false;
        options.SocketManager = StackExchange.Redis.SocketManager.ThreadPool;
    }

    /// <summary>Registers the Redis connection (with tracing) and a <c>redis</c> readiness check.</summary>
    public static IHostApplicationBuilder AddServiceRedis(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.AddRedisClient(connectionName, settings => settings.DisableHealthChecks = true,
            configureOptions: ConfigureRedis);
        builder.Services.AddHostedService<ChatAspire.ServiceDefaults.Observability.RedisConnectionMetrics>();
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            RedisCheckName,
            sp => ActivatorUtilities.CreateInstance<RedisHealthCheck>(sp),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag],
            TimeSpan.FromSeconds(5)));
        return builder;
    }
}
