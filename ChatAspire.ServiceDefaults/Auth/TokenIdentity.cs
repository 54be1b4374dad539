using System.Globalization;
using System.Security.Claims;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>
/// What a user's access token says about who holds it: the user (<c>sub</c>), the sign-in (<c>sid</c>) and the user's token
/// version (<c>ver</c>). The one reader of these claims; <see cref="TokenOptions.CreateAccessToken"/> is their one writer.
/// </summary>
public readonly record struct TokenIdentity(Guid UserId, Guid SessionId, int Version)
{
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";
    public const string NameClaim = "name";
    public const string SessionClaim = "sid";
    public const string VersionClaim = "ver";

    /// <summary>The token's identity, or null when it names no user (a service token, or no token).</summary>
    public static TokenIdentity? Read(ClaimsPrincipal? principal)
    {
        if (principal is null || !Guid.TryParse(principal.FindFirst(SubjectClaim)?.Value, out var userId))
        {
            return null;
        }
        Guid.TryParse(principal.FindFirst(SessionClaim)?.Value, out var sessionId);
        var version = int.TryParse(principal.FindFirst(VersionClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new TokenIdentity(userId, sessionId, version);
    }
}
