using Chat.RagService.Data;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Documents;

/// <summary>The one way a document row comes into being, safe against the registrar and ingestion creating it at once.</summary>
public static class DocumentRows
{
    /// <summary>
    /// Inserts the file's document as <c>queued</c> unless one exists (<c>ON CONFLICT DO NOTHING</c> on the unique file id,
    /// so a race is neither an error nor a retry) and returns the row, tracked, with whether this call created it.
    /// </summary>
    public static async Task<(Document Document, bool Created)> EnsureAsync(RagDbContext db, FileUploaded file, CancellationToken ct)
    {
        var created = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO documents ("Id", "FileId", "OwnerId", "Name", "ContentType", "Sha256", "Status", "ChunkCount", "CreatedAt")
            VALUES ({Guid.CreateVersion7()}, {file.FileId}, {file.OwnerId}, {file.Name}, {file.ContentType}, {file.Sha256}, {nameof(DocumentStatus.Queued)}, 0, now())
            ON CONFLICT ("FileId") DO NOTHING
            """, ct) == 1;
        return (await db.Documents.FirstAsync(d => d.FileId == file.FileId, ct), created);
    }
}
