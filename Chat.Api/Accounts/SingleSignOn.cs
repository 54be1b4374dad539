using System.Security.Claims;
using Chat.Api.Audit;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Chat.Api.Accounts;

public sealed record SignOutResponse(string? EndSessionUrl);

/// <summary>
/// Single sign-on with an OpenID Connect provider, by the ASP.NET Core OpenID Connect handler (code flow with PKCE).
/// The handler's result lands in a short cookie (path <c>/api/auth/oidc</c>) that the page trades once for the same
/// ChatAspire tokens a password sign-in gives (<c>POST /api/auth/oidc/session</c>): every service keeps validating one
/// issuer. The cookie keeps the provider's ID token for RP-initiated logout (<c>POST /api/auth/oidc/logout</c>).
/// A refused sign-in (expired state, wrong audience, bad nonce, a disabled account) returns to the page with
/// <c>?signin_error=</c>one of <see cref="Refusals"/> and logs a warning: it is the provider's or the person's doing, not a fault.
/// </summary>
internal static partial class SingleSignOn
{
    public const string Scheme = "oidc";
    public const string CookieScheme = "oidc-session";
    private const string ExchangedItem = "chataspire.exchanged";
    private const string IdTokenName = "id_token";

    /// <summary>The kinds of refused sign-in, as the page (and the log's <c>Reason</c>) names them.</summary>
    public static class Refusals
    {
        public const string Expired = "expired";
        public const string Audience = "audience";
        public const string Nonce = "nonce";
        public const string Token = "token";
        public const string Denied = "denied";
        public const string Disabled = "disabled";
        public const string Unavailable = "unavailable";
        public const string Failed = "failed";
    }

    public static IHostApplicationBuilder AddSingleSignOn(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.ClientId), "Auth:Oidc:ClientId is required with Auth:Oidc:Authority.")
            .ValidateOnStart();
        builder.Services.AddOptions<SignInOptions>().BindConfiguration("Auth")
            .Validate<IOptions<OidcOptions>>((s, oidc) => s.LocalAccounts || oidc.Value.Enabled,
                "Auth:LocalAccounts=false needs single sign-on (Auth:Oidc:Authority): otherwise nobody can sign in.")
            .ValidateOnStart();
        // One key ring for every replica, in Postgres: a sign-in begun on one replica can end on another.
        builder.Services.AddDataProtection().SetApplicationName("ChatAspire.Api").PersistKeysToDbContext<ChatDbContext>();
        // The keys are stored as they are, like every other secret in chatdb (docs/deployment.md): not a fault to warn about on every new key.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        var oidc = builder.Configuration.GetSection(OidcOptions.SectionName).Get<OidcOptions>() ?? new();
        if (!oidc.Enabled)
        {
            return builder;
        }
        builder.Services.AddScoped<ExternalAccounts>();
        // The handler logs a refused answer from the provider as an error; the refusal is logged here, as a warning, instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectHandler", LogLevel.Critical);
        builder.Services.AddAuthentication()
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "chataspire.sso";
                o.Cookie.Path = "/api/auth/oidc";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = false;
            })
            .AddOpenIdConnect(Scheme, oidc.DisplayName, o =>
            {
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = string.IsNullOrEmpty(oidc.ClientSecret) ? null : oidc.ClientSecret;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.ResponseType = OpenIdConnectResponseType.Code;
                // The code comes back on a top-level GET: the correlation and nonce cookies can be SameSite=Lax.
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.SignInScheme = CookieScheme;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                // From the userinfo answer, besides the handler's defaults (sub, name, email, ...): the user name claim, and the
                // role claim with one claim per value of a JSON array (groups), as the ID token's claims are read.
                o.GetClaimsFromUserInfoEndpoint = oidc.GetClaimsFromUserInfoEndpoint;
                o.ClaimActions.MapUniqueJsonKey(oidc.UserNameClaim, oidc.UserNameClaim);
                if (!string.IsNullOrEmpty(oidc.RoleClaim))
                {
                    o.ClaimActions.MapJsonKey(oidc.RoleClaim, oidc.RoleClaim);
                }
                o.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile", "email" }.Concat(oidc.Scopes).Distinct(StringComparer.Ordinal))
                {
                    o.Scope.Add(scope);
                }
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Events = new OpenIdConnectEvents
                {
                    OnTokenValidated = OnTokenValidatedAsync,
                    OnTicketReceived = OnTicketReceivedAsync,
                    OnRemoteFailure = OnRemoteFailureAsync,
                    OnRedirectToIdentityProviderForSignOut = context =>
                    {
                        // The page navigates there itself (its sign-out is a fetch): hand the URL back instead of a redirect. The
                        // handler adds the state (where to return after the provider's sign-out) only after this event: added here.
                        var message = context.ProtocolMessage;
                        message.State = context.Options.StateDataFormat.Protect(context.Properties);
                        context.HttpContext.Items[nameof(SignOutResponse)] = string.IsNullOrEmpty(message.IssuerAddress) ? null : message.CreateLogoutRequestUrl();
                        context.HandleResponse();
                        return Task.CompletedTask;
                    },
                };
            });
        return builder;
    }

    public static IEndpointRouteBuilder MapSingleSignOn(this IEndpointRouteBuilder app)
    {
        var sso = app.MapGroup("/api/auth/oidc").WithTags("Accounts").AllowAnonymous().RequireRateLimiting(AccountsApi.AuthRateLimitPolicy);
        sso.MapGet("/login", Login).WithName("SingleSignOn")
            .WithSummary("Start single sign-on: a redirect to the OpenID Connect provider, which returns to the page. 404 when it is not configured.");
        sso.MapPost("/session", Session).WithName("SingleSignOnSession")
            .WithSummary("Trade a finished single sign-on (its cookie) for ChatAspire tokens, once.");
        sso.MapPost("/logout", Logout).WithName("SingleSignOnLogout")
            .WithSummary("End the provider's session too: the provider's sign-out URL to navigate to, or null where it offers none.");
        return app;
    }

    private static Results<ChallengeHttpResult, NotFound> Login(IOptions<OidcOptions> oidc) =>
        oidc.Value.Enabled
            ? TypedResults.Challenge(new AuthenticationProperties { RedirectUri = "/?signin=sso" }, [Scheme])
            : TypedResults.NotFound();

    private static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Session(HttpContext http, ChatDbContext db, TokenService tokens,
        IOptions<OidcOptions> oidc, CancellationToken ct)
    {
        var result = oidc.Value.Enabled ? await http.AuthenticateAsync(CookieScheme) : AuthenticateResult.NoResult();
        if (!result.Succeeded || result.Properties.Items.ContainsKey(ExchangedItem) || TokenIdentity.Read(result.Principal) is not { } identity)
        {
            return TypedResults.Problem("No single sign-on is waiting here; sign in again.", statusCode: StatusCodes.Status401Unauthorized);
        }
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == identity.UserId && !u.IsSystem, ct) is not { } user || user.DisabledAt is not null)
        {
            return TypedResults.Problem("This account is disabled; ask an administrator.", statusCode: StatusCodes.Status403Forbidden);
        }
        var pair = await tokens.IssueAsync(db, user, ct);
        // Once: the cookie stays only for the provider's sign-out (it keeps the ID token as the logout hint).
        result.Properties.Items[ExchangedItem] = "1";
        await http.SignInAsync(CookieScheme, result.Principal, result.Properties);
        return TypedResults.Ok(new AuthResponse(UserDto.From(user), pair));
    }

    private static async Task<Ok<SignOutResponse>> Logout(HttpContext http, IOptions<OidcOptions> oidc)
    {
        if (!oidc.Value.Enabled || !(await http.AuthenticateAsync(CookieScheme)).Succeeded)
        {
            return TypedResults.Ok(new SignOutResponse(null));
        }
        // The handler builds the provider's end-session request (id_token_hint from the cookie, state, return address).
        await http.SignOutAsync(Scheme, new AuthenticationProperties { RedirectUri = "/" });
        await http.SignOutAsync(CookieScheme);
        return TypedResults.Ok(new SignOutResponse(http.Items[nameof(SignOutResponse)] as string));
    }

    /// <summary>The provider's ID token is valid: kept (in the handshake's properties) as the hint for a later RP-initiated logout.</summary>
    private static Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        if ((context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage.IdToken) is { } idToken)
        {
            context.Properties!.StoreTokens([new AuthenticationToken { Name = IdTokenName, Value = idToken }]);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Every check of the provider's answer has passed (the nonce is checked after <see cref="OnTokenValidatedAsync"/>):
    /// the person's ChatAspire account, made or kept in step, replaces the provider's claims in the cookie.
    /// </summary>
    private static async Task OnTicketReceivedAsync(TicketReceivedContext context)
    {
        var services = context.HttpContext.RequestServices;
        try
        {
            var user = await services.GetRequiredService<ExternalAccounts>()
                .SignInAsync(services.GetRequiredService<ChatDbContext>(), context.Principal!, context.HttpContext.RequestAborted);
            context.Principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(TokenIdentity.SubjectClaim, user.Id.ToString())], CookieScheme));
        }
        catch (SingleSignOnRefusal refusal)
        {
            // Failing here would still sign in: the refusal is answered here, as the handler's own refusals are.
            await RefuseAsync(context.HttpContext, refusal);
            context.HandleResponse();
        }
    }

    private static async Task OnRemoteFailureAsync(RemoteFailureContext context)
    {
        await RefuseAsync(context.HttpContext, context.Failure);
        context.HandleResponse();
    }

    /// <summary>Logs the refusal (a warning), records it, and sends the person back to the sign-in page with its kind.</summary>
    private static async Task RefuseAsync(HttpContext http, Exception? failure)
    {
        var reason = Classify(failure);
        var services = http.RequestServices;
        LogSignInRefused(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOn)), reason, failure?.GetType().Name ?? "none");
        if (failure is not SingleSignOnRefusal)
        {
            // A refusal of the account itself was recorded with the account; this one has no account to name.
            await services.GetRequiredService<AuditLog>().RecordAsync(services.GetRequiredService<ChatDbContext>(),
                new AuditRecord(AuditActions.SignIn, null, null, AuditTargets.User, null, AuditOutcomes.Failure, $"single sign-on refused: {reason}"),
                http.RequestAborted);
        }
        http.Response.Redirect($"/?signin_error={reason}");
    }

    /// <summary>A bounded name for why the handler refused the provider's answer.</summary>
    internal static string Classify(Exception? failure) => failure switch
    {
        SingleSignOnRefusal r => r.Reason,
        OpenIdConnectProtocolInvalidNonceException => Refusals.Nonce,
        SecurityTokenInvalidAudienceException => Refusals.Audience,
        SecurityTokenException or OpenIdConnectProtocolException when failure.Message.Contains("access_denied", StringComparison.Ordinal) => Refusals.Denied,
        SecurityTokenException or OpenIdConnectProtocolException => Refusals.Token,
        HttpRequestException or TaskCanceledException => Refusals.Unavailable,
        InvalidOperationException when failure.Message.Contains("IDX20803", StringComparison.Ordinal) => Refusals.Unavailable,
        // "Correlation failed." and an unreadable state: the sign-in outlived its cookies, or began in another browser.
        not null when failure.Message.Contains("Correlation failed", StringComparison.Ordinal)
            || failure.Message.Contains("message.State", StringComparison.Ordinal) => Refusals.Expired,
        _ => Refusals.Failed,
    };

    [LoggerMessage(EventId = 2120, EventName = "sso_sign_in_refused", Level = LogLevel.Warning,
        Message = "sso_sign_in_refused: single sign-on refused ({Reason}, {FailureType}); the person is back on the sign-in page")]
    private static partial void LogSignInRefused(ILogger logger, string reason, string failureType);
}
