namespace Chat.Api.Accounts;

/// <summary>A chat account. The built-in <c>assistant</c> account has no password and cannot log in.</summary>
public sealed class User
{
    public const int MaxUserNameLength = 32;
    public const int MaxDisplayNameLength = 64;
    public static readonly Guid AssistantId = new("00000000-0000-7000-8000-00000000a551");
    public const string AssistantUserName = "assistant";

    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>Lower-case, unique; what people log in with and @mention.</summary>
    public required string UserName { get; init; }

    public required string DisplayName { get; set; }
    public string? PasswordHash { get; set; }
    public required string Role { get; set; }
    public bool IsSystem { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Carried by access tokens (claim <c>ver</c>); raising it revokes every token issued before (role change, disabling).</summary>
    public int TokenVersion { get; set; }

    /// <summary>Set by an admin: the account cannot log in or refresh, and its tokens are revoked.</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The OpenID Connect issuer of an account made by single sign-on (with <see cref="ExternalSubject"/>, its identity there).</summary>
    public string? ExternalIssuer { get; init; }

    /// <summary>The provider's <c>sub</c>: stable, unlike names and e-mail addresses, so a renamed person keeps their account.</summary>
    public string? ExternalSubject { get; init; }
}

/// <summary>A user as shown to themselves and to admins (with role and, for admins, whether the account is disabled).</summary>
public sealed record UserDto(Guid Id, string UserName, string DisplayName, string Role, bool IsSystem, bool Disabled)
{
    public static UserDto From(User u) => new(u.Id, u.UserName, u.DisplayName, u.Role, u.IsSystem, u.DisabledAt is not null);
}

/// <summary>A user as found by others (user search): no role, no account state.</summary>
public sealed record UserSummaryDto(Guid Id, string UserName, string DisplayName, bool IsSystem)
{
    public static UserSummaryDto From(User u) => new(u.Id, u.UserName, u.DisplayName, u.IsSystem);
}
