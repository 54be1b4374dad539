using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace ChatAspire.ServiceDefaults.Data;

/// <summary>
/// Applies the service's EF Core migrations before the host starts serving, retrying while the database comes up.
/// Runs in <see cref="StartAsync"/> so no request ever meets an old schema. Replicas take turns (a Postgres advisory
/// lock), and the history table is created before it is read, so a fresh start runs no command that fails: a clean
/// start shows no error and no warning.
/// </summary>
internal sealed partial class MigrationHostedService<TContext>(IServiceScopeFactory scopes, ILogger<MigrationHostedService<TContext>> logger)
    : IHostedService where TContext : DbContext
{
    private static readonly ActivitySource Source = new("ChatAspire.Migrations");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity($"migrate {typeof(TContext).Name}");
        using var upkeep = DatabaseQueryObserver.Upkeep();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TContext>();
                await db.Database.OpenConnectionAsync(cancellationToken);
                try
                {
                    // Session-level lock on this connection: the other replicas of the service wait here, then find nothing to do.
                    await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({LockKey})", cancellationToken);
                    await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                    var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
                    if (pending > 0)
                    {
                        await db.Database.MigrateAsync(cancellationToken);
                    }
                    LogMigrated(logger, typeof(TContext).Name, pending);
                    return;
                }
                finally
                {
                    await db.Database.CloseConnectionAsync(); // closing the session releases the lock
                }
            }
            catch (Exception ex) when (attempt < 30 && ex is NpgsqlException or TimeoutException)
            {
                LogRetry(logger, typeof(TContext).Name, attempt, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One advisory-lock key per context type, the same in every replica.</summary>
    private static readonly long LockKey = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes($"migrations:{typeof(TContext).FullName}")), 0);

    [LoggerMessage(EventId = 1010, EventName = "migrations_applied", Level = LogLevel.Information,
        Message = "Database {Context} is up to date ({Pending} migrations applied)")]
    private static partial void LogMigrated(ILogger logger, string context, int pending);

    [LoggerMessage(EventId = 1011, EventName = "migration_retry", Level = LogLevel.Warning,
        Message = "Database {Context} not reachable (attempt {Attempt}, {Error}); retrying")]
    private static partial void LogRetry(ILogger logger, string context, int attempt, string error);
}
