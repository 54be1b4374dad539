using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>
/// Short-lived tokens a service uses to call another service on its own behalf (role <c>service</c>), signed with the
/// shared key. Chat.Api never issues this role to an account, so only a holder of the signing key can present one.
/// </summary>
public sealed class ServiceTokens(IOptions<TokenOptions> options, TimeProvider clock)
{
    public const string Role = "service";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly Lock _gate = new();
    private (string Token, DateTimeOffset RenewAt) _current;

    /// <summary>A stable id for a service principal, derived from its name.</summary>
    public static Guid IdOf(string serviceName) => new(MD5.HashData(Encoding.UTF8.GetBytes($"service:{serviceName}")));

    public string Get(string serviceName)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_current.Token is not null && now < _current.RenewAt)
            {
                return _current.Token;
            }
            var o = options.Value;
            var token = o.CreateAccessToken(_handler, now, IdOf(serviceName), serviceName, Role);
            _current = (token, now + o.AccessTokenLifetime / 2);
            return token;
        }
    }
}

/// <summary>Adds the service's own bearer token to outgoing requests that carry none.</summary>
public sealed class ServiceTokenHandler(ServiceTokens tokens, string serviceName) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.Get(serviceName));
        return base.SendAsync(request, cancellationToken);
    }
}

public static class ServicePrincipalExtensions
{
    public static bool IsService(this ClaimsPrincipal user) => user.FindFirst(TokenIdentity.RoleClaim)?.Value == ServiceTokens.Role;
}
