using System.Security.Cryptography;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Chat.Api.Accounts;

public sealed record TokenPair(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken, DateTimeOffset RefreshTokenExpiresAt);

/// <summary>
/// Issues access tokens (JWT, shared key) and rotating refresh tokens (random, stored hashed), and revokes them. Every
/// refresh token belongs to the family of one sign-in (its access tokens carry the family as <c>sid</c>): presenting a
/// token that was already rotated means two parties hold that sign-in, so the whole family ends (RFC 9700 §4.14.2).
/// </summary>
public sealed partial class TokenService(IOptions<TokenOptions> options, TimeProvider clock, RevocationLedger revocations, Audit.AuditLog audit,
    ILogger<TokenService> logger)
{
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Tokens for a new sign-in (<paramref name="familyId"/> null) or the next pair of an existing one.</summary>
    public async Task<TokenPair> IssueAsync(ChatDbContext db, User user, CancellationToken ct, Guid? familyId = null)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var family = familyId ?? Guid.CreateVersion7();
        var accessExpires = now + o.AccessTokenLifetime;
        var access = o.CreateAccessToken(_handler, now, user.Id, user.UserName, user.Role, family, user.TokenVersion);
        var refresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var refreshExpires = now + o.RefreshTokenLifetime;
        db.RefreshTokens.Add(new RefreshToken { UserId = user.Id, FamilyId = family, TokenHash = Hash(refresh), ExpiresAt = refreshExpires });
        await db.SaveChangesAsync(ct);
        return new TokenPair(access, accessExpires, refresh, refreshExpires);
    }

    /// <summary>
    /// Revokes a refresh token and returns its user and sign-in, or null when it is unknown, expired, already used or its
    /// account is disabled. A token that was already used ends its whole sign-in (every refresh and access token of it).
    /// </summary>
    public async Task<(User User, Guid FamilyId)?> RedeemAsync(ChatDbContext db, string refreshToken, CancellationToken ct)
    {
        var hash = Hash(refreshToken);
        var now = clock.GetUtcNow();
        var token = await db.RefreshTokens.AsNoTracking().Where(t => t.TokenHash == hash)
            .Select(t => new { t.UserId, t.FamilyId, t.ExpiresAt }).FirstOrDefaultAsync(ct);
        if (token is null || token.ExpiresAt <= now)
        {
            return null;
        }
        // One statement: two concurrent redemptions of the same token cannot both succeed.
        var redeemed = await db.RefreshTokens
            .Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        if (redeemed == 0)
        {
            await RevokeFamilyAsync(db, token.UserId, token.FamilyId, ct);
            LogRefreshTokenReuse(logger, token.UserId, token.FamilyId);
            await audit.RecordAsync(db, new Audit.AuditRecord(Audit.AuditActions.RefreshTokenReuse, token.UserId, null, Audit.AuditTargets.Session, token.FamilyId,
                Audit.AuditOutcomes.Failure, "a rotated refresh token was presented again: the sign-in is ended"), ct);
            return null;
        }
        var user = await db.Users.SingleAsync(u => u.Id == token.UserId, ct);
        return user.DisabledAt is null ? (user, token.FamilyId) : null;
    }

    /// <summary>Ends a sign-in: its refresh tokens and its access tokens (in Postgres, and on every service within seconds).</summary>
    public async Task RevokeFamilyAsync(ChatDbContext db, Guid userId, Guid familyId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        await revocations.RevokeAsync(db, new Revocation(familyId, null, 0), userId, ct);
    }

    /// <summary>
    /// Revokes every access token the user holds (their role or state changed): raises the user's token version, which new
    /// tokens carry. With <paramref name="signOut"/> their refresh tokens end too (account disabled).
    /// </summary>
    public async Task RevokeUserAsync(ChatDbContext db, User user, bool signOut, CancellationToken ct)
    {
        user.TokenVersion++;
        await db.SaveChangesAsync(ct);
        if (signOut)
        {
            var now = clock.GetUtcNow();
            await db.RefreshTokens.Where(t => t.UserId == user.Id && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        }
        await revocations.RevokeAsync(db, new Revocation(null, user.Id, user.TokenVersion), user.Id, ct);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    [LoggerMessage(EventId = 2101, EventName = "refresh_token_reuse", Level = LogLevel.Warning,
        Message = "refresh_token_reuse: a rotated refresh token of user {UserId} was presented again; sign-in {FamilyId} is revoked (security event)")]
    private static partial void LogRefreshTokenReuse(ILogger logger, Guid userId, Guid familyId);
}
