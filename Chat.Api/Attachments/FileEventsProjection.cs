using System.Diagnostics;
using System.Text.Json;
using Chat.Api.Audit;
using Chat.Api.Data;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.Api.Attachments;

/// <summary>
/// Consumer group <c>api</c> on <c>files:events</c>: keeps <see cref="KnownFile"/> in step with Chat.Files, so that
/// attachment checks need no call to Chat.Files (which would make the two services call each other). Idempotent:
/// an upload event inserts once, a delete event leaves a tombstone (and an audit entry, <c>file_deleted</c>).
/// </summary>
public sealed class FileEventsProjection(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ILogger<FileEventsProjection> logger)
    : StreamConsumerService(redis, logger)
{
    public const string GroupName = "api";

    protected override string Stream => FileEvents.Stream;
    protected override string Group => GroupName;
    protected override StreamConsumerOptions Options { get; } = new();
    protected override ActivitySource ActivitySource => ChatTelemetry.Source;

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        switch (message.Type)
        {
            case FileEvents.Uploaded:
                var uploaded = message.PayloadAs<FileUploaded>();
                var name = uploaded.Name.Length > KnownFile.MaxNameLength ? uploaded.Name[..KnownFile.MaxNameLength] : uploaded.Name;
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO known_files ("Id", "OwnerId", "Name", "ContentType", "Size") VALUES ({uploaded.FileId}, {uploaded.OwnerId}, {name}, {uploaded.ContentType}, {uploaded.Size})
                    ON CONFLICT ("Id") DO NOTHING
                    """, ct);
                break;
            case FileEvents.Deleted:
                var deleted = message.PayloadAs<FileDeleted>();
                var now = DateTimeOffset.UtcNow;
                // Only the first delivery tombstones the file (a replayed event changes nothing), and only it is audited.
                var tombstoned = await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO known_files ("Id", "OwnerId", "Name", "ContentType", "Size", "DeletedAt") VALUES ({deleted.FileId}, {deleted.OwnerId}, '', '', 0, {now})
                    ON CONFLICT ("Id") DO UPDATE SET "DeletedAt" = EXCLUDED."DeletedAt" WHERE known_files."DeletedAt" IS NULL
                    """, ct);
                if (tombstoned > 0)
                {
                    // Chat.Files lets only the owner delete: the owner is the actor.
                    await scope.ServiceProvider.GetRequiredService<AuditLog>().RecordAsync(db,
                        new AuditRecord(AuditActions.FileDeleted, deleted.OwnerId, null, AuditTargets.File, deleted.FileId), ct);
                }
                break;
        }
    }
}
