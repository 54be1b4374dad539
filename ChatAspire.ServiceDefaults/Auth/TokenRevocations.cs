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

/// <summary>
/// Revoked access tokens, shared by every service through Redis. Chat.Api revokes a session (logout, refresh-token
/// reuse: claim <c>sid</c>) or every token of a user below a version (role change, account disabled: claim <c>ver</c>);
/// each service's bearer authentication asks <see cref="IsRevokedAsync"/> with a short local cache, which a Redis
/// pub/sub message clears at once. Entries live as long as an access token can, so the list stays small.
/// While Redis is unreachable tokens are accepted (they expire within <see cref="TokenOptions.AccessTokenLifetime"/>).
/// </summary>
public sealed partial class TokenRevocations : IHostedService
{
    public const string Channel = "auth:revocations";
    public const string SessionClaim = "sid";
    public const string VersionClaim = "ver";

    private readonly IServiceProvider _services;
    private readonly IOptions<TokenOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<TokenRevocations> _logger;
    private readonly ConcurrentDictionary<string, (bool Revoked, long Until)> _cache = new();
    private long _lastOutageLog;

    public TokenRevocations(IServiceProvider services, IOptions<TokenOptions> options, TimeProvider clock, ILogger<TokenRevocations> logger)
    {
        (_services, _options, _clock, _logger) = (services, options, clock, logger);
    }

    /// <summary>Raised (on a Redis thread) for every revocation any replica of any service announces, including this one's.</summary>
    public event Action<Revocation>? Revoked;

    private IConnectionMultiplexer? Redis => _services.GetService<IConnectionMultiplexer>();

    private TimeSpan EntryLifetime => _options.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);

    public async Task RevokeSessionAsync(Guid sessionId)
    {
        var db = Redis?.GetDatabase() ?? throw new InvalidOperationException("Token revocation needs Redis.");
        await db.StringSetAsync(SessionKey(sessionId), 1, EntryLifetime);
        await db.PublishAsync(RedisChannel.Literal(Channel), $"session:{sessionId}");
    }

    /// <summary>Every access token of <paramref name="userId"/> with a version below <paramref name="version"/> is refused from now on.</summary>
    public async Task RevokeUserTokensBelowAsync(Guid userId, int version)
    {
        var db = Redis?.GetDatabase() ?? throw new InvalidOperationException("Token revocation needs Redis.");
        await db.StringSetAsync(UserKey(userId), version, EntryLifetime);
        await db.PublishAsync(RedisChannel.Literal(Channel), $"user:{userId}:{version.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>True when the token of <paramref name="principal"/> belongs to a revoked session or an outdated version of its user.</summary>
    public async ValueTask<bool> IsRevokedAsync(ClaimsPrincipal principal)
    {
        if (principal.IsService() || !Guid.TryParse(principal.FindFirst("sub")?.Value, out var userId))
        {
            return false;
        }
        Guid.TryParse(principal.FindFirst(SessionClaim)?.Value, out var sessionId);
        var version = int.TryParse(principal.FindFirst(VersionClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var cacheKey = $"{userId:N}:{sessionId:N}:{version}";
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
            var values = await redis.GetDatabase().StringGetAsync([SessionKey(sessionId), UserKey(userId)]);
            revoked = values[0].HasValue || (values[1].HasValue && (int)values[1] > version);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisUnavailable(ex);
            return false;
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
            if (Parse(message.ToString()) is not { } revocation)
            {
                return;
            }
            _cache.Clear(); // revocations are rare: forget every cached answer rather than find the matching ones
            Revoked?.Invoke(revocation);
        }, CommandFlags.FireAndForget);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        var last = Interlocked.Read(ref _lastOutageLog);
        if (now - last >= 60 && Interlocked.CompareExchange(ref _lastOutageLog, now, last) == last)
        {
            LogRevocationCheckSkipped(_logger, ex.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 1201, EventName = "token_revocation_check_skipped", Level = LogLevel.Warning,
        Message = "token_revocation_check_skipped: Redis is unreachable ({Error}); tokens are accepted until it is back (logged once a minute)")]
    private static partial void LogRevocationCheckSkipped(ILogger logger, string error);
}
