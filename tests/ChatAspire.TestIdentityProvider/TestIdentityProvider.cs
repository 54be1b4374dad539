using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace ChatAspire.TestIdentityProvider;

/// <summary>How an account's ID token goes wrong on purpose, so the relying party's refusals can be tried against a real server.</summary>
public enum Misbehaviour
{
    None,

    /// <summary>The ID token is issued to another client (<c>aud</c>).</summary>
    WrongAudience,

    /// <summary>The ID token carries a nonce the relying party never sent.</summary>
    BadNonce,
}

/// <summary>A person at the provider: <see cref="Subject"/> is stable, the rest can change between sign-ins.</summary>
public sealed record TestAccount(string UserName, string Name, string[] Groups, Misbehaviour Misbehaviour = Misbehaviour.None)
{
    public string Subject { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>The ID token carries only <c>sub</c>; name, e-mail and groups come from the userinfo endpoint (node oidc-provider's default).</summary>
    public bool ClaimsOnlyAtUserInfo { get; init; }
    public string Email => $"{UserName}@example.test";
}

/// <summary>
/// An OpenID Connect provider (OpenIddict, authorization code with PKCE, RP-initiated logout) on a port of this machine,
/// with a plain sign-in form and accounts the caller adds. Its ID tokens carry <c>name</c>, <c>preferred_username</c>,
/// <c>email</c> and <c>groups</c>.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string DefaultClientId = "chataspire";
    public const string DefaultClientSecret = "chataspire-test-secret";
    public const string Password = "provider-password";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TestAccount> _accounts;
    private int _endSessions;

    private TestIdentityProvider(WebApplication app, Uri issuer, ConcurrentDictionary<string, TestAccount> accounts)
    {
        _app = app;
        Issuer = issuer;
        _accounts = accounts;
    }

    public Uri Issuer { get; }

    /// <summary>How many RP-initiated logouts reached the end-session endpoint.</summary>
    public int EndSessions => Volatile.Read(ref _endSessions);

    /// <summary>Adds an account, or replaces the one with the same user name (keeping the subject the new record carries).</summary>
    public void Add(TestAccount account) => _accounts[account.UserName] = account;

    public static async Task<TestIdentityProvider> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var accounts = new ConcurrentDictionary<string, TestAccount>(StringComparer.Ordinal);
        var database = $"idp-{Guid.NewGuid():N}"; // one store for the provider's lifetime (the options are built per scope)
        builder.Services.AddDbContext<ProviderDbContext>(o =>
        {
            o.UseInMemoryDatabase(database);
            o.UseOpenIddict();
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "test-idp";
                o.LoginPath = "/account/login";
            });
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<ProviderDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token").SetEndSessionEndpointUris("connect/endsession")
                    .SetUserInfoEndpointUris("connect/userinfo");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes.Email, Scopes.Profile, "groups");
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().EnableEndSessionEndpointPassthrough().EnableUserInfoEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
                o.AddEventHandler<OpenIddictServerEvents.ProcessSignInContext>(handler => handler
                    .UseInlineHandler(context => Misbehave(context, accounts))
                    .SetOrder(OpenIddictServerHandlers.PrepareIdentityTokenPrincipal.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
            });
        var app = builder.Build();
        TestIdentityProvider? self = null;
        app.UseAuthentication();
        app.MapMethods("/connect/authorize", ["GET", "POST"], (Delegate)((HttpContext http) => AuthorizeAsync(http, accounts)));
        app.MapMethods("/connect/endsession", ["GET", "POST"], async (HttpContext http) =>
        {
            Interlocked.Increment(ref self!._endSessions);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
        app.MapMethods("/connect/userinfo", ["GET", "POST"], (Delegate)((HttpContext http) => UserInfoAsync(http, accounts)));
        app.MapGet("/account/login", (string? returnUrl) => LoginPage(returnUrl, error: null));
        app.MapPost("/account/login", (Delegate)((HttpContext http) => SignInAsync(http, accounts)));
        app.MapGet("/", () => Results.Text("Test identity provider", "text/plain"));
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        self = new TestIdentityProvider(app, new Uri($"http://127.0.0.1:{bound.Port}/"), accounts);
        return self;
    }

    /// <summary>Registers a confidential client whose redirect and post-logout addresses are on each of <paramref name="relyingParties"/>.</summary>
    public async Task RegisterClientAsync(string clientId, string secret, IEnumerable<Uri> relyingParties)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = clientId,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email, Permissions.Scopes.Profile, Permissions.Prefixes.Scope + "groups",
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var rp in relyingParties)
        {
            descriptor.RedirectUris.Add(new Uri(rp, "/signin-oidc"));
            descriptor.PostLogoutRedirectUris.Add(new Uri(rp, "/signout-callback-oidc"));
        }
        await manager.CreateAsync(descriptor);
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, ConcurrentDictionary<string, TestAccount> accounts)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var session = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (!session.Succeeded || !accounts.TryGetValue(session.Principal.Identity?.Name ?? "", out var account) || request.HasPromptValue(PromptValues.Login))
        {
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString },
                [CookieAuthenticationDefaults.AuthenticationScheme]);
        }
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, account.Subject)
            .SetClaim(Claims.Name, account.Name)
            .SetClaim(Claims.PreferredUsername, account.UserName)
            .SetClaim(Claims.Email, account.Email)
            .SetClaims("groups", [.. account.Groups]);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(claim => claim.Type == Claims.Subject || !account.ClaimsOnlyAtUserInfo
            ? [Destinations.IdentityToken, Destinations.AccessToken]
            : [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The person the access token names, as JSON claims (every claim, whatever the ID token carried).</summary>
    private static async Task<IResult> UserInfoAsync(HttpContext http, ConcurrentDictionary<string, TestAccount> accounts)
    {
        var token = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = token.Principal?.GetClaim(Claims.Subject);
        if (accounts.Values.FirstOrDefault(a => a.Subject == subject) is not { } account)
        {
            return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        return Results.Json(new Dictionary<string, object>
        {
            [Claims.Subject] = account.Subject,
            [Claims.Name] = account.Name,
            [Claims.PreferredUsername] = account.UserName,
            [Claims.Email] = account.Email,
            ["groups"] = account.Groups,
        });
    }

    private static ValueTask Misbehave(OpenIddictServerEvents.ProcessSignInContext context, ConcurrentDictionary<string, TestAccount> accounts)
    {
        var principal = context.IdentityTokenPrincipal;
        var subject = principal?.GetClaim(Claims.Subject);
        var account = accounts.Values.FirstOrDefault(a => a.Subject == subject);
        switch (account?.Misbehaviour)
        {
            case Misbehaviour.WrongAudience:
                principal!.SetAudiences("another-application");
                break;
            case Misbehaviour.BadNonce:
                principal!.SetClaim(Claims.Nonce, "a-nonce-nobody-sent");
                break;
        }
        return default;
    }

    private static async Task<IResult> SignInAsync(HttpContext http, ConcurrentDictionary<string, TestAccount> accounts)
    {
        var form = await http.Request.ReadFormAsync();
        var returnUrl = form["returnUrl"].ToString();
        if (!accounts.TryGetValue(form["username"].ToString(), out var account) || form["password"] != Password)
        {
            return LoginPage(returnUrl, "Wrong user name or password.");
        }
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, account.UserName)], CookieAuthenticationDefaults.AuthenticationScheme)));
        return Results.LocalRedirect(string.IsNullOrEmpty(returnUrl) ? "/" : returnUrl);
    }

    private static IResult LoginPage(string? returnUrl, string? error)
    {
        var encoder = HtmlEncoder.Default;
        return Results.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Test identity provider: sign in</title></head>
            <body><main><h1>Test identity provider</h1>
            {(error is null ? "" : $"<p role=\"alert\">{encoder.Encode(error)}</p>")}
            <form method="post" action="/account/login">
              <input type="hidden" name="returnUrl" value="{encoder.Encode(returnUrl ?? "")}">
              <label>Provider user name <input name="username" autocomplete="username"></label>
              <label>Provider password <input name="password" type="password" autocomplete="current-password"></label>
              <button type="submit">Sign in at the provider</button>
            </form></main></body></html>
            """, "text/html", statusCode: error is null ? 200 : 401);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class ProviderDbContext(DbContextOptions<ProviderDbContext> options) : DbContext(options);
}
