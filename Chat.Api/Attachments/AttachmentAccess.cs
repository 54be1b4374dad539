using Chat.Api.Channels;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ChatAspire.Rules;

namespace Chat.Api.Attachments;

/// <summary>
/// Who may see a file outside Chat.Files, decided here and only here (Chat.Api owns channels and membership): its
/// uploader, and whoever may read a channel where a live message carries it. Files are known from
/// <see cref="FileEventsProjection"/>, so no check calls Chat.Files.
/// </summary>
public sealed class AttachmentAccess(ChatDbContext db, IOptions<AttachmentOptions> options, TimeProvider clock) : Messages.IAttachmentPolicy
{
    /// <summary>Refuses (Invalid) unless every file exists and <paramref name="caller"/> uploaded it or can already see it in a channel.</summary>
    public async Task EnsureShareableAsync(IReadOnlyCollection<Guid> fileIds, Caller caller, CancellationToken ct)
    {
        if (fileIds.Count == 0)
        {
            return;
        }
        var ids = fileIds.Distinct().ToArray();
        var known = await NewFiles.WaitAsync(token => KnownAsync(ids, token), k => k.Count == ids.Length, options.Value.NewFileWait, clock, ct);
        foreach (var id in ids)
        {
            if (!known.TryGetValue(id, out var file) || !await MaySeeAsync(file, caller, ct))
            {
                throw ChatException.Invalid($"Attachment {id} does not exist or is not yours to share.");
            }
        }
    }

    /// <summary>Files attached to live messages in <paramref name="channels"/>: what their readers may see.</summary>
    public static IQueryable<Guid> SharedIn(ChatDbContext db, IQueryable<Guid> channels) =>
        db.Messages.AsNoTracking().Where(m => m.DeletedAt == null && m.Attachments.Count > 0 && channels.Contains(m.ChannelId))
            .SelectMany(m => m.Attachments).Distinct();

    /// <summary>Files <paramref name="ownerId"/> uploaded and has not deleted.</summary>
    public static IQueryable<Guid> OwnedBy(ChatDbContext db, Guid ownerId) =>
        db.KnownFiles.AsNoTracking().Where(f => f.OwnerId == ownerId && f.DeletedAt == null).Select(f => f.Id);

    /// <summary>The file, when it is live and <paramref name="caller"/> may see it; null otherwise.</summary>
    public async Task<KnownFile?> VisibleAsync(Guid fileId, Caller caller, CancellationToken ct) =>
        await db.KnownFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == fileId, ct) is { } file && await MaySeeAsync(file, caller, ct) ? file : null;

    private async Task<bool> MaySeeAsync(KnownFile file, Caller caller, CancellationToken ct) =>
        file.DeletedAt is null && (file.OwnerId == caller.UserId || await IsSharedWithAsync(file.Id, caller, ct));

    /// <summary>True when <paramref name="caller"/> may read a channel in which a live message carries the file.</summary>
    private Task<bool> IsSharedWithAsync(Guid fileId, Caller caller, CancellationToken ct) =>
        db.Messages.AnyAsync(m => m.DeletedAt == null && m.Attachments.Contains(fileId)
            && ChannelAccess.ReadableBy(db, caller.UserId, caller.Role).Any(c => c.Id == m.ChannelId), ct);

    private async Task<Dictionary<Guid, KnownFile>> KnownAsync(Guid[] ids, CancellationToken ct) =>
        await db.KnownFiles.AsNoTracking().Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, ct);
}
