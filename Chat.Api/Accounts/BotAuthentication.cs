using System.Security.Claims;
using System.Text.Encodings.Web;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Chat.Api.Accounts;

/// <summary>
/// Signs in a bot by its token (<c>Authorization: Bearer cab_…</c>, or <c>access_token=cab_…</c> on the hub). The caller
/// gets the claims an access token would carry (role <c>bot</c>, the token's id as <c>sid</c>, the account's token
/// version), so revocation works as for people: revoking the bot raises its version, which every replica's
/// <see cref="TokenRevocations"/> hears at once and which closes its hub connections (Realtime.HubSessions).
/// </summary>
public sealed class BotTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder,
    BotTokenStore bots, TokenRevocations revocations) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "BotToken";

    /// <summary>The scheme that picks bot tokens out and hands everything else to JWT bearer validation.</summary>
    public const string Selector = "BearerOrBot";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = BearerToken.From(Context);
        if (!token.StartsWith(BotToken.Prefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.NoResult();
        }
        if (await bots.PrincipalAsync(token, Context.RequestAborted) is not { } principal)
        {
            return AuthenticateResult.Fail("The bot token is unknown or revoked.");
        }
        if (await revocations.IsRevokedAsync(principal))
        {
            return AuthenticateResult.Fail("The bot token was revoked.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    /// <summary>Chooses the scheme for a request: a bot token, or a JWT (every other caller).</summary>
    public static string For(HttpContext context) =>
        BearerToken.From(context).StartsWith(BotToken.Prefix, StringComparison.Ordinal) ? SchemeName : JwtBearerDefaults.AuthenticationScheme;
}

/// <summary>Bot tokens by hash, cached for a few seconds per replica (revocation does not wait for the cache: see <see cref="BotTokenHandler"/>).</summary>
public sealed class BotTokenStore(IMemoryCache cache, IServiceScopeFactory scopes)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    private sealed record Known(ClaimsPrincipal? Principal);

    public async Task<ClaimsPrincipal?> PrincipalAsync(string token, CancellationToken ct)
    {
        var key = $"bot-token:{TokenService.Hash(token)}";
        if (cache.TryGetValue(key, out Known? known))
        {
            return known!.Principal;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        var hash = TokenService.Hash(token);
        var row = await (from t in db.BotTokens.AsNoTracking()
                         join u in db.Users.AsNoTracking() on t.UserId equals u.Id
                         where t.TokenHash == hash && t.RevokedAt == null && u.DisabledAt == null && u.Role == Roles.Bot
                         select new { TokenId = t.Id, u.Id, u.UserName, u.TokenVersion }).FirstOrDefaultAsync(ct);
        var principal = row is null ? null : new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(TokenIdentity.SubjectClaim, row.Id.ToString()),
            new Claim(TokenIdentity.NameClaim, row.UserName),
            new Claim(TokenIdentity.RoleClaim, Roles.Bot),
            new Claim(TokenIdentity.SessionClaim, row.TokenId.ToString("N")),
            new Claim(TokenIdentity.VersionClaim, row.TokenVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], BotTokenHandler.SchemeName, TokenIdentity.NameClaim, TokenIdentity.RoleClaim));
        cache.Set(key, new Known(principal), Lifetime);
        return principal;
    }

    /// <summary>A new token: what the admin is shown once, and what is stored (its hash).</summary>
    public static (string Token, string Hash) Create()
    {
        var token = BotToken.Prefix + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (token, TokenService.Hash(token));
    }
}
