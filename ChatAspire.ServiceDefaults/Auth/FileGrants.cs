using System.Security.Claims;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>
/// Download grants: short-lived, signed permissions to read one file, issued by Chat.Api (which alone decides who may see
/// a file) and verified by Chat.Files and the RAG service with the shared key, so neither asks Chat.Api per request.
/// A grant is a JWT with its own audience (<c>{Audience}:file</c>): it is not an access token and an access token is not
/// a grant. It carries the user's session and token version, so a revoked sign-in cannot use its grants either.
/// </summary>
public sealed class FileGrants(IOptions<TokenOptions> options, TokenRevocations revocations, TimeProvider clock)
{
    public const string QueryName = "grant";
    private const string FileClaim = "fid";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    private string GrantAudience => $"{options.Value.Audience}:file";

    /// <summary>A grant for <paramref name="caller"/> (a user's principal, from their access token) to read <paramref name="fileId"/>.</summary>
    public (string Grant, DateTimeOffset ExpiresAt) Create(Guid fileId, ClaimsPrincipal caller)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var expires = now + o.FileGrantLifetime;
        var grant = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = o.Issuer,
            Audience = GrantAudience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(o.Key(), SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [TokenIdentity.SubjectClaim] = caller.UserId().ToString(),
                [FileClaim] = fileId.ToString(),
                [TokenRevocations.SessionClaim] = caller.FindFirst(TokenRevocations.SessionClaim)?.Value ?? Guid.Empty.ToString("N"),
                [TokenRevocations.VersionClaim] = int.TryParse(caller.FindFirst(TokenRevocations.VersionClaim)?.Value, out var v) ? v : 0,
            },
        });
        return (grant, expires);
    }

    /// <summary>
    /// The rule every service outside Chat.Api applies to a file (Chat.Files' bytes, the RAG service's document): its
    /// uploader sees it, services see it, and so does whoever holds a grant for it from Chat.Api; nobody else.
    /// </summary>
    public async ValueTask<bool> MaySeeAsync(ClaimsPrincipal user, Guid ownerId, Guid fileId, string? grant) =>
        user.Identity?.IsAuthenticated == true && (user.IsService() || ownerId == user.UserId()) || await AllowsAsync(grant, fileId);

    /// <summary>True when <paramref name="grant"/> is a valid, unexpired, unrevoked grant for <paramref name="fileId"/>.</summary>
    public async ValueTask<bool> AllowsAsync(string? grant, Guid fileId)
    {
        if (string.IsNullOrEmpty(grant) || grant.Length > 4096)
        {
            return false;
        }
        var o = options.Value;
        var result = await _handler.ValidateTokenAsync(grant, new TokenValidationParameters
        {
            ValidIssuer = o.Issuer,
            ValidAudience = GrantAudience,
            IssuerSigningKey = o.Key(),
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && notBefore is { } n
                && clock.GetUtcNow().UtcDateTime >= n.AddSeconds(-30) && clock.GetUtcNow().UtcDateTime < e,
        });
        if (!result.IsValid || result.ClaimsIdentity is not { } identity
            || !Guid.TryParse(identity.FindFirst(FileClaim)?.Value, out var granted) || granted != fileId)
        {
            return false;
        }
        return !await revocations.IsRevokedAsync(new ClaimsPrincipal(identity));
    }
}
