using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Accounts;

/// <summary>
/// Sign-in with an OpenID Connect provider (section <c>Auth:Oidc</c>): authorization code with PKCE. Turned on by
/// <see cref="Authority"/>; accounts are made on first sign-in and kept in step (name, role) on every sign-in.
/// </summary>
public sealed class OidcOptions
{
    public const string SectionName = "Auth:Oidc";

    /// <summary>The provider's issuer URL (its discovery document is <c>{Authority}/.well-known/openid-configuration</c>).</summary>
    [Url]
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>Confidential clients (Keycloak, Entra ID, Google) have one; a public client with PKCE leaves it empty.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The provider's name on the sign-in button: "Sign in with {DisplayName}".</summary>
    [StringLength(40, MinimumLength = 1)]
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>
    /// The ID token claim whose values decide the role (e.g. <c>groups</c>, <c>roles</c>): a value in <see cref="AdminValues"/>
    /// makes an admin, any other a user, on every sign-in. Empty: roles are managed in ChatAspire (the first account is admin).
    /// </summary>
    [StringLength(64)]
    public string? RoleClaim { get; set; }

    /// <summary>Values of <see cref="RoleClaim"/> that make an admin (compared ignoring case).</summary>
    public string[] AdminValues { get; set; } = [];

    /// <summary>Scopes asked for besides <c>openid profile email</c> (e.g. <c>groups</c> where the provider needs it for that claim).</summary>
    public string[] Scopes { get; set; } = [];

    /// <summary>The ID token claim that suggests the user name of a new account (then the e-mail's local part, then <c>name</c>).</summary>
    [Required, StringLength(64)]
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>
    /// Also read the person's claims from the provider's userinfo endpoint (merged with the ID token's). Providers such as
    /// node <c>oidc-provider</c> put only <c>sub</c> in an ID token issued beside an access token; where the provider has no
    /// userinfo endpoint, nothing is asked.
    /// </summary>
    public bool GetClaimsFromUserInfoEndpoint { get; set; } = true;

    /// <summary>HTTPS for the provider's metadata; only a provider on this machine for development may go without.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}

/// <summary>How people sign in (section <c>Auth</c>).</summary>
public sealed class SignInOptions
{
    /// <summary>Password sign-up and sign-in. Off, the only way in is single sign-on (<see cref="OidcOptions"/>), which must then be set.</summary>
    public bool LocalAccounts { get; set; } = true;
}
