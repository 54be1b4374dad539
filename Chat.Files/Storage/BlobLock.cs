using System.Text.Json;
using Chat.Files.Data;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Chat.Files.Storage;

/// <summary>A session-level Postgres advisory lock per content hash: uploads and deletes of the same bytes take turns.</summary>
internal sealed class BlobLock : IAsyncDisposable
{
    private readonly FilesDbContext _db;
    private readonly long _key;

    private BlobLock(FilesDbContext db, long key) => (_db, _key) = (db, key);

    public static async Task<BlobLock> AcquireAsync(FilesDbContext db, string sha256, CancellationToken ct)
    {
        var key = Convert.ToInt64(sha256[..15], 16);
        await db.Database.OpenConnectionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({key})", ct);
        return new BlobLock(db, key);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({_key})");
        await _db.Database.CloseConnectionAsync();
    }
}
