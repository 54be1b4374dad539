using System.Security.Claims;

namespace Chat.Api.Accounts;

/// <summary>The system roles of chat accounts, ordered from most to least privileged (claim <c>role</c> of an access token).</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Moderator = "moderator";
    public const string User = "user";
    public const string Guest = "guest";

    public static readonly string[] All = [Admin, Moderator, User, Guest];

    /// <summary>The caller's system role; a token without one is a guest's.</summary>
    public static string Role(this ClaimsPrincipal user) => user.FindFirst(ChatAspire.ServiceDefaults.Auth.TokenIdentity.RoleClaim)?.Value ?? Guest;
}
