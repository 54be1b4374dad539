using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>
/// JWT settings shared by every service (section <c>Auth</c>). Chat.Api issues tokens; the others only validate them.
/// The signing key is an Aspire secret parameter (<c>jwt-signing-key</c>) handed to all services.
/// </summary>
public sealed class TokenOptions
{
    public const string SectionName = "Auth";

    [Required, MinLength(32)]
    public string SigningKey { get; set; } = "";

    [Required]
    public string Issuer { get; set; } = "chataspire";

    [Required]
    public string Audience { get; set; } = "chataspire";

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:10:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a download grant (<see cref="FileGrants"/>) from Chat.Api stays valid.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan FileGrantLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a service trusts its answer to "is this token revoked?" when no revocation message arrived meanwhile.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RevocationCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    public SymmetricSecurityKey Key() => new(Encoding.UTF8.GetBytes(SigningKey));

    /// <summary>
    /// An access token for <paramref name="subject"/> (id, name, role) valid from <paramref name="now"/> for <see cref="AccessTokenLifetime"/>,
    /// of sign-in <paramref name="session"/> (claim <c>sid</c>) and the user's token <paramref name="version"/> (claim <c>ver</c>): see <see cref="TokenRevocations"/>.
    /// </summary>
    public string CreateAccessToken(Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler handler, DateTimeOffset now, Guid subject, string name, string role,
        Guid? session = null, int version = 0) =>
        handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + AccessTokenLifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(Key(), SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [TokenIdentity.SubjectClaim] = subject.ToString(),
                [TokenIdentity.NameClaim] = name,
                [TokenIdentity.RoleClaim] = role,
                ["jti"] = Guid.NewGuid().ToString("N"),
                [TokenRevocations.SessionClaim] = (session ?? Guid.Empty).ToString("N"),
                [TokenRevocations.VersionClaim] = version,
            },
        });
}
