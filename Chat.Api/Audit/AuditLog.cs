using System.Diagnostics;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;

namespace Chat.Api.Audit;

/// <summary>
/// Records security-relevant actions: a row in Postgres (append-only, read by admins through <c>GET /api/admin/audit</c>)
/// and a structured log line (<c>event=audit</c>, EventId 2701) for whatever collects the logs. Every caller records
/// through here. The row is written on the caller's context after its action was saved; secrets, tokens and message
/// text never appear in an entry.
/// </summary>
public sealed partial class AuditLog(IHttpContextAccessor http, TimeProvider clock, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(ChatDbContext db, AuditRecord record, CancellationToken ct)
    {
        Debug.Assert(AuditActions.All.Contains(record.Action), $"unknown audit action {record.Action}");
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow(),
            ActorId = record.ActorId,
            ActorName = Truncate(record.ActorName ?? SignedInName(record.ActorId), AuditEntry.MaxNameLength),
            Action = record.Action,
            TargetType = record.TargetType,
            TargetId = record.TargetId?.ToString(),
            Source = http.HttpContext?.Connection.RemoteIpAddress?.ToString(),
            Outcome = record.Outcome,
            Detail = Truncate(record.Detail, AuditEntry.MaxDetailLength),
            TraceId = Activity.Current?.TraceId.ToHexString(),
        };
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(ct);
        LogAudit(logger, entry.Action, entry.Outcome, entry.ActorId, entry.ActorName, entry.TargetType, entry.TargetId, entry.Source, entry.Detail);
    }

    /// <summary>The user name in the request's access token, when <paramref name="actorId"/> is the one signed in.</summary>
    private string? SignedInName(Guid? actorId) =>
        http.HttpContext?.User is { } user && actorId is not null && TokenIdentity.Read(user)?.UserId == actorId
            ? user.FindFirst(TokenIdentity.NameClaim)?.Value
            : null;

    private static string? Truncate(string? text, int max) => text is { Length: > 0 } t ? t[..Math.Min(t.Length, max)] : null;

    [LoggerMessage(EventId = 2701, EventName = "audit", Level = LogLevel.Information,
        Message = "audit: {AuditAction} {AuditOutcome} by {ActorId} ({ActorName}) on {TargetType} {TargetId} from {SourceAddress} {AuditDetail}")]
    private static partial void LogAudit(ILogger logger, string auditAction, string auditOutcome, Guid? actorId, string? actorName, string? targetType,
        string? targetId, string? sourceAddress, string? auditDetail);
}

/// <summary>What happened: the action, who did it, to what, how it ended, and a short detail (never a secret or message text).</summary>
public readonly record struct AuditRecord(string Action, Guid? ActorId, string? ActorName, string? TargetType, object? TargetId,
    string Outcome = AuditOutcomes.Success, string? Detail = null)
{
    /// <summary>An action of the signed-in <paramref name="actor"/> (user id and name from the access token).</summary>
    public static AuditRecord By(System.Security.Claims.ClaimsPrincipal actor, string action, string? targetType, object? targetId, string? detail = null) =>
        new(action, TokenIdentity.Read(actor)?.UserId, actor.FindFirst(TokenIdentity.NameClaim)?.Value, targetType, targetId, AuditOutcomes.Success, detail);
}
