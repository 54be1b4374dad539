using ChatAspire.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>Access tokens minted the way Chat.Api mints them, for tests that need an expired one or one from another system.</summary>
public static class Tokens
{
    /// <summary>
    /// A user token issued <paramref name="issuedAgo"/> ago for <paramref name="lifetime"/>, signed with the test systems' key,
    /// or with a key of its own when <paramref name="foreignKey"/> (a token of another installation).
    /// </summary>
    public static string AccessToken(Guid userId, string userName, TimeSpan lifetime, TimeSpan issuedAgo = default, bool foreignKey = false, string role = "user")
    {
        var options = new TokenOptions
        {
            SigningKey = foreignKey ? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) : AppHostFixture.SigningKey,
            AccessTokenLifetime = lifetime,
        };
        return options.CreateAccessToken(new JsonWebTokenHandler(), DateTimeOffset.UtcNow - issuedAgo, userId, userName, role);
    }
}
