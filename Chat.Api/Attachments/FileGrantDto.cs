namespace Chat.Api.Attachments;

/// <summary>A download grant (valid until <paramref name="ExpiresAt"/>) with what a client shows before downloading.</summary>
public sealed record FileGrantDto(Guid FileId, string Name, string ContentType, long Size, string Grant, DateTimeOffset ExpiresAt);
