using ChatAspire.Contracts;
using System.Diagnostics;
using Chat.Files.Data;
using ChatAspire.Messaging;
using ChatAspire.Rules;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Chat.Files.Storage;

public enum UploadRejection { TooLarge, Quota, Empty, UnsupportedType, NotMultipart, Scan, Archive }

public sealed record UploadResult(FileMetadata? File, UploadRejection? Rejection, string? Detail);

/// <summary>
/// Streams one multipart file to a temp file (hashing and counting as it goes, never holding it in memory), decides its
/// type from the bytes, checks quota and scanner, then stores blob and metadata + outbox event together. Every failure
/// path removes what it wrote.
/// </summary>
public sealed partial class UploadService(
    FilesDbContext db,
    BlobStore blobs,
    IFileScanner scanner,
    OutboxPublisher<FilesDbContext> outbox,
    FilesTelemetry telemetry,
    IOptions<FilesOptions> options,
    IOptions<ArchiveLimits> archiveLimits,
    ILogger<UploadService> logger)
{
    public async Task<UploadResult> UploadAsync(HttpRequest request, Guid ownerId, CancellationToken ct)
    {
        using var activity = FilesTelemetry.Source.StartActivity("file.upload");
        var max = options.Value.MaxFileSize;
        if (request.ContentLength > max + 64 * 1024)
        {
            return Reject(activity, UploadRejection.TooLarge, $"The file is larger than the {max / (1024 * 1024)} MB limit.", ownerId);
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return Reject(activity, UploadRejection.NotMultipart, "Send the file as multipart/form-data.", ownerId);
        }

        try
        {
            return await ReadMultipartAsync(request, boundary, max, ownerId, activity, ct);
        }
        // A body cut short, a lying Content-Length, oversized part headers: the client's mistake, and nothing was kept.
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Reject(activity, UploadRejection.NotMultipart, $"The multipart body could not be read: {ex.Message}", ownerId);
        }
    }

    private async Task<UploadResult> ReadMultipartAsync(HttpRequest request, string boundary, long max, Guid ownerId, Activity? activity, CancellationToken ct)
    {
        // 64 KiB reads instead of the 4 KiB default: the boundary search and the copies run on larger blocks.
        var reader = new MultipartReader(boundary, request.Body, 64 * 1024);
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
            {
                continue;
            }
            var name = FileNames.Sanitize(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
            var text = new Utf8TextCheck();
            var received = await blobs.ReceiveAsync(section.Body, max, ct, text);
            if (received is null)
            {
                return Reject(activity, UploadRejection.TooLarge, $"The file is larger than the {max / (1024 * 1024)} MB limit.", ownerId);
            }
            try
            {
                return await AcceptAsync(received, text, name, ownerId, activity, ct);
            }
            finally
            {
                blobs.Discard(received); // no-op when it was moved into place
            }
        }
        return Reject(activity, UploadRejection.NotMultipart, "The request has no file part.", ownerId);
    }

    private async Task<UploadResult> AcceptAsync(BlobStore.Received received, Utf8TextCheck text, string name, Guid ownerId, Activity? activity, CancellationToken ct)
    {
        if (received.Size == 0)
        {
            return Reject(activity, UploadRejection.Empty, "The file is empty.", ownerId);
        }
        var decision = ContentTypes.Decide(received.TempPath, name, archiveLimits.Value, text);
        if (decision.ContentType is not { } contentType)
        {
            return Reject(activity, decision.IsArchiveRefusal ? UploadRejection.Archive : UploadRejection.UnsupportedType, decision.Refusal!, ownerId);
        }
        if (await UsedBytesAsync(ownerId, ct) + received.Size > options.Value.UserQuotaBytes)
        {
            return QuotaExceeded(activity, ownerId);
        }
        if (await scanner.ScanAsync(received.TempPath, contentType, ct) is { } reason)
        {
            return Reject(activity, UploadRejection.Scan, reason, ownerId);
        }

        var file = new StoredFile { OwnerId = ownerId, Name = name, ContentType = contentType, Size = received.Size, Sha256 = received.Sha256 };
        await using (await BlobLock.AcquireAsync(db, received.Sha256, ct))
        {
            blobs.Commit(received);
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // The quota is reserved atomically: uploads of one owner take turns between this check and the commit.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({QuotaLockKey(ownerId)})", ct);
                if (await UsedBytesAsync(ownerId, ct) + received.Size > options.Value.UserQuotaBytes)
                {
                    await tx.RollbackAsync(ct);
                    if (!await db.Files.AnyAsync(f => f.Sha256 == received.Sha256, CancellationToken.None))
                    {
                        blobs.Delete(received.Sha256);
                    }
                    return QuotaExceeded(activity, ownerId);
                }
                db.Files.Add(file);
                db.Outbox.Add(OutboxMessage.For(new FileUploaded(file.Id, ownerId, name, contentType, file.Size, file.Sha256)));
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            catch
            {
                if (!await db.Files.AnyAsync(f => f.Sha256 == received.Sha256, CancellationToken.None))
                {
                    blobs.Delete(received.Sha256);
                }
                throw;
            }
        }
        outbox.Notify();
        telemetry.Accepted(file.Size);
        activity?.SetTag("file.size", file.Size);
        activity?.SetTag("file.content_type", contentType);
        activity?.SetTag("file.result", "accepted");
        LogAccepted(logger, file.Id, ownerId, contentType, file.Size);
        return new UploadResult(FileMetadata.From(file), null, null);
    }

    private async Task<long> UsedBytesAsync(Guid ownerId, CancellationToken ct) =>
        await db.Files.Where(f => f.OwnerId == ownerId).SumAsync(f => (long?)f.Size, ct) ?? 0;

    private UploadResult QuotaExceeded(Activity? activity, Guid ownerId) =>
        Reject(activity, UploadRejection.Quota, $"This upload would exceed your storage quota of {options.Value.UserQuotaBytes / (1024 * 1024)} MB.", ownerId);

    /// <summary>Advisory-lock key of an owner's quota (distinct from <see cref="BlobLock"/>'s keys, which come from a hash's first 15 hex digits).</summary>
    private static long QuotaLockKey(Guid ownerId) => BitConverter.ToInt64(ownerId.ToByteArray(), 8) | long.MinValue;

    /// <summary>Deletes a file of <paramref name="callerId"/>'s, or any file when the caller is a service (null: Chat.Api's retention).</summary>
    public async Task<bool> DeleteAsync(Guid fileId, Guid? callerId, CancellationToken ct)
    {
        if (await db.Files.FirstOrDefaultAsync(f => f.Id == fileId && (callerId == null || f.OwnerId == callerId), ct) is not { } file)
        {
            return false;
        }
        await using (await BlobLock.AcquireAsync(db, file.Sha256, ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Files.Remove(file);
            db.Outbox.Add(OutboxMessage.For(new FileDeleted(file.Id, file.OwnerId, file.Sha256)));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            // Still under the lock: no upload of the same bytes can commit between this check and the delete.
            if (!await db.Files.AnyAsync(f => f.Sha256 == file.Sha256, ct))
            {
                blobs.Delete(file.Sha256);
            }
        }
        outbox.Notify();
        LogDeleted(logger, file.Id, callerId);
        return true;
    }

    private UploadResult Reject(Activity? activity, UploadRejection rejection, string detail, Guid ownerId)
    {
        var reason = rejection switch
        {
            UploadRejection.TooLarge => "too_large",
            UploadRejection.Quota => "quota",
            UploadRejection.Empty => "empty",
            UploadRejection.UnsupportedType => "unsupported_type",
            UploadRejection.Scan => "scan",
            UploadRejection.Archive => "archive",
            _ => "malformed",
        };
        telemetry.Rejected(reason);
        activity?.SetTag("file.result", $"rejected_{reason}");
        LogRejected(logger, ownerId, reason);
        return new UploadResult(null, rejection, detail);
    }

    [LoggerMessage(EventId = 3001, EventName = "file_uploaded", Level = LogLevel.Information,
        Message = "file_uploaded {FileId} by {UserId}: {ContentType}, {Size} bytes")]
    private static partial void LogAccepted(ILogger logger, Guid fileId, Guid userId, string contentType, long size);

    [LoggerMessage(EventId = 3002, EventName = "file_rejected", Level = LogLevel.Information, Message = "file_rejected for {UserId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, Guid userId, string reason);

    [LoggerMessage(EventId = 3003, EventName = "file_deleted", Level = LogLevel.Information, Message = "file_deleted {FileId} by {UserId}")]
    private static partial void LogDeleted(ILogger logger, Guid fileId, Guid? userId);
}
