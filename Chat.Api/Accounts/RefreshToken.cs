namespace Chat.Api.Accounts;

/// <summary>A refresh token, stored only as its SHA-256.</summary>
public sealed class RefreshToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid UserId { get; init; }

    /// <summary>The sign-in this token descends from (claim <c>sid</c> of its access tokens): reuse of a rotated token revokes the whole family.</summary>
    public required Guid FamilyId { get; init; }

    public required string TokenHash { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
