using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.Api.Accounts;

/// <summary>A revoked sign-in (<see cref="SessionId"/>) or user token version, kept until no token it covers can be valid.</summary>
public sealed class RevokedToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid? SessionId { get; init; }
    public required Guid UserId { get; init; }

    /// <summary>For a user revocation: tokens of a lower version are refused.</summary>
    public int TokenVersion { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public required DateTimeOffset ExpiresAt { get; init; }

    public RevocationEntry ToEntry() =>
        new(SessionId is { } s ? new Revocation(s, null, 0) : new Revocation(null, UserId, TokenVersion), ExpiresAt);
}

/// <summary>
/// The durable list of revocations (Postgres, <c>token_revocations</c>) and its copy in Redis, which every service reads
/// (<see cref="TokenRevocations"/>). A revocation is stored here first, then announced; when Redis restarted empty (its
/// list is not marked loaded) or missed an announcement while it was down, this loads the list into it again, at once
/// on reconnect and otherwise within <see cref="CheckInterval"/>. Chat.Api's own checks ask Postgres while Redis cannot answer.
/// </summary>
public sealed partial class RevocationLedger(IServiceScopeFactory scopes, TokenRevocations revocations, IConnectionMultiplexer redis, TimeProvider clock,
    ILogger<RevocationLedger> logger) : BackgroundService, IRevocationSource
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often expired rows are deleted; the first time a few minutes after start, never during it.</summary>
    public static readonly TimeSpan CleanupInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan FirstCleanupAfter = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _wake = new(0);
    private volatile bool _missed;

    /// <summary>Stores the revocation in <paramref name="db"/> (committed here), then puts it in Redis for every service.</summary>
    public async Task RevokeAsync(ChatDbContext db, Revocation revocation, Guid userId, CancellationToken ct)
    {
        var row = new RevokedToken
        {
            SessionId = revocation.SessionId, UserId = userId, TokenVersion = revocation.UserTokenVersion,
            ExpiresAt = clock.GetUtcNow() + revocations.EntryLifetime,
        };
        db.RevokedTokens.Add(row);
        await db.SaveChangesAsync(ct);
        if (!await revocations.AnnounceAsync(row.ToEntry()))
        {
            _missed = true; // loaded into Redis again when it is back
            _wake.Release();
        }
    }

    public async ValueTask<bool> IsRevokedAsync(TokenIdentity token, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        var now = clock.GetUtcNow();
        if (token.SessionId != Guid.Empty && await db.RevokedTokens.AnyAsync(r => r.SessionId == token.SessionId && r.ExpiresAt > now, ct))
        {
            return true;
        }
        var current = await db.Users.Where(u => u.Id == token.UserId).Select(u => (int?)u.TokenVersion).FirstOrDefaultAsync(ct);
        return current is null || current > token.Version;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnRestored;
        try
        {
            var lastCleanup = clock.GetUtcNow() - CleanupInterval + FirstCleanupAfter;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (_missed || !await revocations.IsLoadedAsync())
                    {
                        _missed = false;
                        var count = await LoadAsync(stoppingToken);
                        LogLoaded(logger, count);
                    }
                    if (clock.GetUtcNow() - lastCleanup > CleanupInterval)
                    {
                        lastCleanup = clock.GetUtcNow();
                        await using var scope = scopes.CreateAsyncScope();
                        var now = clock.GetUtcNow();
                        await scope.ServiceProvider.GetRequiredService<ChatDbContext>().RevokedTokens.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    _missed = true; // Redis or Postgres down: try again on the next round
                    LogLoadFailed(logger, ex.GetType().Name);
                }
                await _wake.WaitAsync(CheckInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            redis.ConnectionRestored -= OnRestored;
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e) => _wake.Release();

    private async Task<int> LoadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        var now = clock.GetUtcNow();
        List<RevokedToken> rows;
        using (ChatAspire.ServiceDefaults.Data.DatabaseQueryObserver.Upkeep()) // a start-up scan on a cold database, not a query to tune
        {
            rows = await db.RevokedTokens.AsNoTracking().Where(r => r.ExpiresAt > now).ToListAsync(ct);
        }
        await revocations.LoadAsync([.. rows.Select(r => r.ToEntry())]);
        return rows.Count;
    }

    [LoggerMessage(EventId = 2110, EventName = "token_revocations_loaded", Level = LogLevel.Information,
        Message = "token_revocations_loaded: {Count} unexpired revocations put into Redis from Postgres")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 2111, EventName = "token_revocations_load_failed", Level = LogLevel.Warning,
        Message = "token_revocations_load_failed: loading revocations into Redis failed ({Error}); retrying")]
    private static partial void LogLoadFailed(ILogger logger, string error);
}
