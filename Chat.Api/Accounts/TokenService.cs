using System.Security.Cryptography;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Chat.Api.Accounts;

public sealed record TokenPair(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken, DateTimeOffset RefreshTokenExpiresAt);

/// <summary>Issues access tokens (JWT, shared key) and rotating refresh tokens (random, stored hashed).</summary>
public sealed class TokenService(IOptions<TokenOptions> options, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<TokenPair> IssueAsync(ChatDbContext db, User user, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var accessExpires = now + o.AccessTokenLifetime;
        var access = o.CreateAccessToken(_handler, now, user.Id, user.UserName, user.Role);
        var refresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var refreshExpires = now + o.RefreshTokenLifetime;
        db.RefreshTokens.Add(new RefreshToken { UserId = user.Id, TokenHash = Hash(refresh), ExpiresAt = refreshExpires });
        await db.SaveChangesAsync(ct);
        return new TokenPair(access, accessExpires, refresh, refreshExpires);
    }

    /// <summary>Revokes a refresh token and returns its user, or null when it is unknown, expired or already used.</summary>
    public async Task<User?> RedeemAsync(ChatDbContext db, string refreshToken, CancellationToken ct)
    {
        var hash = Hash(refreshToken);
        var now = clock.GetUtcNow();
        // One statement: two concurrent redemptions of the same token cannot both succeed.
        var revoked = await db.RefreshTokens
            .Where(t => t.TokenHash == hash && t.RevokedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        if (revoked == 0)
        {
            return null;
        }
        var userId = await db.RefreshTokens.Where(t => t.TokenHash == hash).Select(t => t.UserId).SingleAsync(ct);
        return await db.Users.SingleAsync(u => u.Id == userId, ct);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}
