using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatAspire.ServiceDefaults.Data;

/// <summary>
/// Applies the service's EF Core migrations before the host starts serving, retrying while the database comes up.
/// Runs in <see cref="StartAsync"/> so no request ever meets an old schema.
/// </summary>
internal sealed partial class MigrationHostedService<TContext>(IServiceScopeFactory scopes, ILogger<MigrationHostedService<TContext>> logger)
    : IHostedService where TContext : DbContext
{
    private static readonly ActivitySource Source = new("ChatAspire.Migrations");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity($"migrate {typeof(TContext).Name}");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TContext>();
                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
                await db.Database.MigrateAsync(cancellationToken);
                LogMigrated(logger, typeof(TContext).Name, pending);
                return;
            }
            catch (Exception ex) when (attempt < 30 && ex is NpgsqlException or TimeoutException)
            {
                LogRetry(logger, typeof(TContext).Name, attempt, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1010, EventName = "migrations_applied", Level = LogLevel.Information,
        Message = "Database {Context} is up to date ({Pending} migrations applied)")]
    private static partial void LogMigrated(ILogger logger, string context, int pending);

    [LoggerMessage(EventId = 1011, EventName = "migration_retry", Level = LogLevel.Warning,
        Message = "Database {Context} not reachable (attempt {Attempt}, {Error}); retrying")]
    private static partial void LogRetry(ILogger logger, string context, int attempt, string error);
}
