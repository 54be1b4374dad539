using System.Security.Claims;

namespace Chat.Api.Accounts;

/// <summary>The system roles of chat accounts, ordered from most to least privileged (claim <c>role</c> of an access token).</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Moderator = "moderator";
    public const string User = "user";
    public const string Guest = "guest";

    /// <summary>
    /// A bot account (created by an admin, signing in with a bot token): it reads and posts only in the channels it was
    /// added to, and creates none. Not assignable to a person.
    /// </summary>
    public const string Bot = "bot";

    /// <summary>The roles an admin may give a person.</summary>
    public static readonly string[] All = [Admin, Moderator, User, Guest];

    /// <summary>The caller's system role; a token without one is a guest's.</summary>
    public static string Role(this ClaimsPrincipal user) => user.FindFirst(ChatAspire.ServiceDefaults.Auth.TokenIdentity.RoleClaim)?.Value ?? Guest;
}
