using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.Extensions.Hosting;

public static class AuthExtensions
{
    /// <summary>
    /// JWT bearer validation with the shared key; every endpoint requires an authenticated user unless it opts out
    /// (health, metrics, login). Hubs read the token from <c>access_token</c> in the query, as browsers must.
    /// </summary>
    public static IHostApplicationBuilder AddServiceAuthentication(this IHostApplicationBuilder builder)
    {
        builder.AddServiceTokens();
        builder.Services.TryAddSingleton<TokenRevocations>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TokenRevocations>());
        builder.Services.TryAddSingleton<FileGrants>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<TokenOptions>>((jwt, tokens) =>
            {
                var t = tokens.Value;
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = t.Issuer,
                    ValidAudience = t.Audience,
                    IssuerSigningKey = t.Key(),
                    NameClaimType = TokenIdentity.NameClaim,
                    RoleClaimType = TokenIdentity.RoleClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                jwt.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        if (BearerToken.FromHubQuery(context.Request) is { } token)
                        {
                            context.Token = token;
                        }
                        return Task.CompletedTask;
                    },
                    // Logout, refresh-token reuse, a role change or a disabled account revoke tokens before they expire.
                    OnTokenValidated = async context =>
                    {
                        var revocations = context.HttpContext.RequestServices.GetRequiredService<TokenRevocations>();
                        if (context.Principal is { } principal && await revocations.IsRevokedAsync(principal))
                        {
                            context.Fail("The token was revoked.");
                        }
                    },
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>The shared token settings and <see cref="ServiceTokens"/>, for a service that calls others as itself.</summary>
    public static IHostApplicationBuilder AddServiceTokens(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TokenOptions>()
            .BindConfiguration(TokenOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ServiceTokens>();
        return builder;
    }

    /// <summary>
    /// An HttpClient for another service (service discovery name <paramref name="resource"/>) that sends this service's own
    /// token (<see cref="ServiceTokens"/>) unless the request already carries one (e.g. a user's, forwarded).
    /// </summary>
    public static IHttpClientBuilder AddServiceClient<TClient>(this IHostApplicationBuilder builder, string resource, string serviceName)
        where TClient : class =>
        builder.Services.AddHttpClient<TClient>(http => http.BaseAddress = new Uri($"https+http://{resource}"))
            .AddHttpMessageHandler(sp => new ServiceTokenHandler(sp.GetRequiredService<ServiceTokens>(), serviceName));
}

public static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's user id (the token's <c>sub</c>).</summary>
    public static Guid UserId(this System.Security.Claims.ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(TokenIdentity.SubjectClaim)?.Value, out var id) ? id : throw new InvalidOperationException("The token has no user id.");
}
