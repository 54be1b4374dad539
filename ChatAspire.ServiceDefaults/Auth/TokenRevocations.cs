using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>A revocation as announced on <see cref="TokenRevocations.Channel"/>: a session (sign-in) or every token of a user below a version.</summary>
public sealed record Revocation(Guid? SessionId, Guid? UserId, int UserTokenVersion);

/// <summary>A revocation with the moment its entry may be forgotten (no access token it covers is valid after it).</summary>
public sealed record RevocationEntry(Revocation Revocation, DateTimeOffset ExpiresAt);

/// <summary>
/// The durable list of revocations, where a service holds it (Chat.Api keeps it in Postgres). Asked when Redis cannot
/// answer: while it is unreachable, or after it restarted empty and before the list was loaded into it again.
/// </summary>
public interface IRevocationSource
{
    ValueTask<bool> IsRevokedAsync(TokenIdentity token, CancellationToken ct);
}

/// <summary>
/// Revoked access tokens, shared by every service through Redis. Postgres holds the list (Chat.Api's
/// <c>token_revocations</c>); Redis caches it for every service. Chat.Api revokes a session (logout, refresh-token reuse:
/// claim <c>sid</c>) or every token of a user below a version (role change, account disabled: claim <c>ver</c>);
/// each service's bearer authentication asks <see cref="IsRevokedAsync"/> with a short local cache, which a Redis
/// pub/sub message clears at once. Entries live as long as an access token can, so the list stays small.
/// <para>
/// Redis restarting empty does not bring a revoked token back: the list in Redis is marked loaded (<see cref="LoadedKey"/>)
/// by whoever loads it from Postgres, and an unmarked list is never trusted. A service with an <see cref="IRevocationSource"/>
/// (Chat.Api) then asks Postgres; the others refuse user tokens until Chat.Api has loaded the list again (it does so as
/// soon as it reconnects). While Redis is unreachable, Chat.Api still checks Postgres; the other services accept
/// unexpired tokens (logged once a minute), since refusing would stop everyone while Redis is down.
/// </para>
/// </summary>
public sealed partial class TokenRevocations : IHostedService
{
    public const string Channel = "auth:revocations";
    public const string SessionClaim = TokenIdentity.SessionClaim;
    public const string VersionClaim = TokenIdentity.VersionClaim;

    /// <summary>Present while Redis holds the whole list; Redis restarting empty removes it with everything else.</summary>
    public const string LoadedKey = "auth:revocations:loaded";

    private readonly IServiceProvider _services;
    private readonly IOptions<TokenOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<TokenRevocations> _logger;
    private readonly ConcurrentDictionary<string, (bool Revoked, long Until)> _cache = new();
    private long _lastOutageLog;
    private long _lastUnloadedLog;

    public TokenRevocations(IServiceProvider services, IOptions<TokenOptions> options, TimeProvider clock, ILogger<TokenRevocations> logger)
    {
        (_services, _options, _clock, _logger) = (services, options, clock, logger);
    }

    /// <summary>Raised (on a Redis thread) for every revocation any replica of any service announces, including this one's.</summary>
    public event Action<Revocation>? Revoked;

    private IConnectionMultiplexer? Redis => _services.GetService<IConnectionMultiplexer>();

    private IRevocationSource? Source => _services.GetService<IRevocationSource>();

    /// <summary>How long a revocation must be remembered: as long as an access token issued just before it stays valid.</summary>
    public TimeSpan EntryLifetime => _options.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);

    /// <summary>
    /// Puts a revocation (already stored durably by the caller) into Redis and tells every service. False when Redis could
    /// not be reached: the durable list's owner puts it there once Redis is back.
    /// </summary>
    public async Task<bool> AnnounceAsync(RevocationEntry entry)
    {
        if (Redis is not { } redis)
        {
            return false;
        }
        try
        {
            var db = redis.GetDatabase();
            await WriteAsync(db, entry);
            await db.PublishAsync(RedisChannel.Literal(Channel), Format(entry.Revocation));
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisUnavailable(ex);
            return false;
        }
    }

    /// <summary>True when Redis holds the whole list (it was loaded since Redis last started empty).</summary>
    public async Task<bool> IsLoadedAsync() => Redis is { } redis && await redis.GetDatabase().KeyExistsAsync(LoadedKey);

    /// <summary>Writes every entry of the durable list into Redis, then marks the list loaded and tells every service.</summary>
    public async Task LoadAsync(IReadOnlyCollection<RevocationEntry> entries)
    {
        var redis = Redis ?? throw new InvalidOperationException("Token revocation needs Redis.");
        var db = redis.GetDatabase();
        foreach (var chunk in entries.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(e => WriteAsync(db, e)));
        }
        await db.StringSetAsync(LoadedKey, _clock.GetUtcNow().ToUnixTimeSeconds());
        await db.PublishAsync(RedisChannel.Literal(Channel), "loaded");
    }

    private Task WriteAsync(IDatabase db, RevocationEntry entry)
    {
        var ttl = entry.ExpiresAt - _clock.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }
        var r = entry.Revocation;
        return r.SessionId is { } session
            ? db.StringSetAsync(SessionKey(session), 1, ttl)
            // A lower version never overwrites a higher one (two changes of the same user).
            : db.ScriptEvaluateAsync(KeepHighest, [UserKey(r.UserId!.Value)], [r.UserTokenVersion, (long)Math.Ceiling(ttl.TotalSeconds)]);
    }

    private const string KeepHighest = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) > current then
          redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        end
        return 1
        """;

    /// <summary>True when the token of <paramref name="principal"/> belongs to a revoked session or an outdated version of its user.</summary>
    public async ValueTask<bool> IsRevokedAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (principal.IsService() || TokenIdentity.Read(principal) is not { } token)
        {
            return false;
        }
        var cacheKey = $"{token.UserId:N}:{token.SessionId:N}:{token.Version}";
        var now = _clock.GetTimestamp();
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.Until > now)
        {
            return cached.Revoked;
        }
        if (Redis is not { } redis)
        {
            return false;
        }
        bool revoked;
        try
        {
            var values = await redis.GetDatabase().StringGetAsync([SessionKey(token.SessionId), UserKey(token.UserId), LoadedKey]);
            if (!values[2].HasValue)
            {
                // Redis restarted empty and nobody has loaded the list again yet: its silence proves nothing.
                LogUnloaded();
                return Source is { } source ? await source.IsRevokedAsync(token, ct) : true;
            }
            revoked = values[0].HasValue || (values[1].HasValue && (int)values[1] > token.Version);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisUnavailable(ex);
            return Source is { } source && await source.IsRevokedAsync(token, ct);
        }
        if (_cache.Count > 100_000)
        {
            _cache.Clear();
        }
        _cache[cacheKey] = (revoked, now + (long)(_options.Value.RevocationCacheLifetime.TotalSeconds * _clock.TimestampFrequency));
        return revoked;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Redis is not { } redis)
        {
            return;
        }
        // Fire-and-forget: a service starts while Redis is down, and the multiplexer subscribes again on every reconnect.
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Channel), (_, message) =>
        {
            _cache.Clear(); // revocations are rare: forget every cached answer rather than find the matching ones
            if (Parse(message.ToString()) is { } revocation)
            {
                Revoked?.Invoke(revocation);
            }
        }, CommandFlags.FireAndForget);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static string Format(Revocation r) => r.SessionId is { } s
        ? $"session:{s}"
        : $"user:{r.UserId}:{r.UserTokenVersion.ToString(CultureInfo.InvariantCulture)}";

    internal static Revocation? Parse(string message)
    {
        var parts = message.Split(':');
        return parts switch
        {
            ["session", var s] when Guid.TryParse(s, out var sessionId) => new Revocation(sessionId, null, 0),
            ["user", var u, var ver] when Guid.TryParse(u, out var userId) && int.TryParse(ver, CultureInfo.InvariantCulture, out var version)
                => new Revocation(null, userId, version),
            _ => null,
        };
    }

    private static RedisKey SessionKey(Guid sessionId) => $"auth:revoked:session:{sessionId:N}";

    private static RedisKey UserKey(Guid userId) => $"auth:revoked:user:{userId:N}";

    private void LogRedisUnavailable(Exception ex)
    {
        if (Due(ref _lastOutageLog))
        {
            LogRevocationCheckSkipped(_logger, ex.GetType().Name, Source is null ? "unexpired tokens are accepted" : "Postgres answers");
        }
    }

    private void LogUnloaded()
    {
        if (Due(ref _lastUnloadedLog))
        {
            LogRevocationsNotLoaded(_logger, Source is null ? "user tokens are refused" : "Postgres answers");
        }
    }

    private bool Due(ref long last)
    {
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        var seen = Interlocked.Read(ref last);
        return now - seen >= 60 && Interlocked.CompareExchange(ref last, now, seen) == seen;
    }

    [LoggerMessage(EventId = 1201, EventName = "token_revocation_check_skipped", Level = LogLevel.Warning,
        Message = "token_revocation_check_skipped: Redis is unreachable ({Error}); until it is back, {Fallback} (logged once a minute)")]
    private static partial void LogRevocationCheckSkipped(ILogger logger, string error, string fallback);

    [LoggerMessage(EventId = 1202, EventName = "token_revocations_not_loaded", Level = LogLevel.Information,
        Message = "token_revocations_not_loaded: Redis holds no revocation list (it restarted empty); until Chat.Api loads it, {Fallback} (logged once a minute)")]
    private static partial void LogRevocationsNotLoaded(ILogger logger, string fallback);
}
