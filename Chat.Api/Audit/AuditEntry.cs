using System.Collections.Frozen;

namespace Chat.Api.Audit;

/// <summary>
/// One security-relevant action. Append-only: nothing in the code updates or deletes an entry, and the table's triggers
/// refuse UPDATE, DELETE and TRUNCATE for anyone who tries from outside (migration <c>AuditTrail</c>).
/// </summary>
public sealed class AuditEntry
{
    public const int MaxNameLength = 64;
    public const int MaxDetailLength = 200;

    /// <summary>Increasing with time: the cursor of <c>GET /api/admin/audit?before=</c>.</summary>
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Who acted; null when nobody was signed in (a failed sign-in, a webhook).</summary>
    public Guid? ActorId { get; set; }

    /// <summary>The actor's user name at the time, or the name a failed sign-in gave.</summary>
    public string? ActorName { get; set; }
    public string Action { get; set; } = "";
    public string? TargetType { get; set; }
    public string? TargetId { get; set; }

    /// <summary>The client's address as the service saw it.</summary>
    public string? Source { get; set; }
    public string Outcome { get; set; } = AuditOutcomes.Success;
    public string? Detail { get; set; }
    public string? TraceId { get; set; }
}

/// <summary>Every action the audit trail records (the values of <see cref="AuditEntry.Action"/>; docs/integrations.md lists them).</summary>
public static class AuditActions
{
    public const string AccountCreated = "account_created";
    public const string SignIn = "sign_in";
    public const string SignOut = "sign_out";
    public const string RefreshTokenReuse = "refresh_token_reuse";
    public const string RoleChanged = "role_changed";
    public const string DisplayNameChanged = "display_name_changed";
    public const string UserDisabled = "user_disabled";
    public const string UserEnabled = "user_enabled";
    public const string ChannelCreated = "channel_created";
    public const string ChannelArchived = "channel_archived";
    public const string MemberAdded = "member_added";
    public const string MemberJoined = "member_joined";
    public const string MemberLeft = "member_left";
    public const string WebhookCreated = "webhook_created";
    public const string WebhookRevoked = "webhook_revoked";
    public const string BotCreated = "bot_created";
    public const string BotRevoked = "bot_revoked";
    public const string FileDeleted = "file_deleted";
    public const string ChannelExported = "channel_exported";
    public const string RetentionChanged = "retention_changed";
    public const string RetentionRun = "retention_run";

    public static FrozenSet<string> All { get; } = FrozenSet.Create(StringComparer.Ordinal,
        AccountCreated, SignIn, SignOut, RefreshTokenReuse, RoleChanged, DisplayNameChanged, UserDisabled, UserEnabled, ChannelCreated, ChannelArchived,
        MemberAdded, MemberJoined, MemberLeft, WebhookCreated, WebhookRevoked, BotCreated, BotRevoked, FileDeleted, ChannelExported,
        RetentionChanged, RetentionRun);
}

public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";
}

/// <summary>The kinds of <see cref="AuditEntry.TargetType"/>.</summary>
public static class AuditTargets
{
    public const string User = "user";
    public const string Channel = "channel";
    public const string Webhook = "webhook";
    public const string Session = "session";
    public const string File = "file";
}

public sealed record AuditEntryDto(long Id, DateTimeOffset At, Guid? ActorId, string? ActorName, string Action, string? TargetType, string? TargetId,
    string? Source, string Outcome, string? Detail, string? TraceId)
{
    public static AuditEntryDto From(AuditEntry e) => new(e.Id, e.At, e.ActorId, e.ActorName, e.Action, e.TargetType, e.TargetId, e.Source, e.Outcome, e.Detail, e.TraceId);
}
