using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Api.Accounts;

/// <summary>
/// Counts failed logins per user name in Redis (so every replica agrees), for names that exist and names that
/// do not alike: the answer never tells which accounts exist.
/// </summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, IOptions<AccountsOptions> options)
{
    private static RedisKey Key(string userName) => $"chat:login-failures:{userName}";

    public async Task<TimeSpan?> LockedForAsync(string userName)
    {
        var db = redis.GetDatabase();
        var failures = (long?)await db.StringGetAsync(Key(userName)) ?? 0;
        if (failures < options.Value.MaxFailedLogins)
        {
            return null;
        }
        return await db.KeyTimeToLiveAsync(Key(userName)) ?? options.Value.LockoutWindow;
    }

    public async Task FailedAsync(string userName)
    {
        var db = redis.GetDatabase();
        var failures = await db.StringIncrementAsync(Key(userName));
        if (failures == 1)
        {
            await db.KeyExpireAsync(Key(userName), options.Value.LockoutWindow);
        }
    }

    public Task SucceededAsync(string userName) => redis.GetDatabase().KeyDeleteAsync(Key(userName));
}
