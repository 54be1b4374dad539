using System.IO.Compression;
using System.Text.Json;
using Chat.Api.Attachments;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Export;

/// <summary>One exported message: a line of <c>messages.jsonl</c>.</summary>
public sealed record ExportedMessage(Guid Id, long Seq, DateTimeOffset CreatedAt, DateTimeOffset? EditedAt, DateTimeOffset? DeletedAt, Guid SenderId,
    string? SenderUserName, string? SenderName, string Type, string? Content, Guid? ReplyToId, IReadOnlyList<Guid> Attachments,
    IReadOnlyList<Guid> Mentions, IReadOnlyList<ExportedReaction> Reactions, JsonElement? Citations, IReadOnlyList<ExportedEdit> Edits);

/// <summary>A text the message had before an edit (oldest first).</summary>
public sealed record ExportedEdit(string Content, DateTimeOffset WrittenAt, DateTimeOffset ReplacedAt);

public sealed record ExportedReaction(string Emoji, Guid UserId, DateTimeOffset CreatedAt);

/// <summary>
/// Writes a channel's history as a zip, streamed: <c>messages.jsonl</c> (every message in seq order with its author, time,
/// thread, reactions and earlier texts; deleted messages keep their place without their text) and <c>files/&lt;id&gt;/&lt;name&gt;</c>
/// (each attachment still on Chat.Files). Memory stays flat whatever the channel's size: messages are read in pages and
/// written as they come, files are copied through.
/// </summary>
public sealed class ChannelExporter(ChatDbContext db, FilesClient files)
{
    public const int PageSize = 500;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>Writes the zip to <paramref name="output"/>; returns how many messages and files it holds.</summary>
    public async Task<(long Messages, int Files)> WriteAsync(Guid channelId, Stream output, CancellationToken ct)
    {
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
        var attachments = new List<Guid>();
        long count = 0;
        var entry = zip.CreateEntry("messages.jsonl", CompressionLevel.Fastest);
        await using (var lines = await entry.OpenAsync(ct))
        {
            var names = new Dictionary<Guid, (string UserName, string DisplayName)>();
            long after = 0;
            while (true)
            {
                var page = await db.Messages.AsNoTracking().Where(m => m.ChannelId == channelId && m.Seq > after).OrderBy(m => m.Seq).Take(PageSize)
                    .ToListAsync(ct);
                if (page.Count == 0)
                {
                    break;
                }
                var ids = page.Select(m => m.Id).ToList();
                var reactions = (await db.Reactions.AsNoTracking().Where(r => ids.Contains(r.MessageId)).OrderBy(r => r.CreatedAt).ToListAsync(ct))
                    .ToLookup(r => r.MessageId);
                var edits = (await db.MessageEdits.AsNoTracking().Where(e => ids.Contains(e.MessageId)).OrderBy(e => e.Id).ToListAsync(ct))
                    .ToLookup(e => e.MessageId);
                var unknown = page.Select(m => m.SenderId).Distinct().Where(id => !names.ContainsKey(id)).ToList();
                foreach (var user in await db.Users.AsNoTracking().Where(u => unknown.Contains(u.Id)).Select(u => new { u.Id, u.UserName, u.DisplayName })
                    .ToListAsync(ct))
                {
                    names[user.Id] = (user.UserName, user.DisplayName);
                }
                foreach (var m in page)
                {
                    var deleted = m.DeletedAt is not null;
                    var author = names.GetValueOrDefault(m.SenderId);
                    var line = new ExportedMessage(m.Id, m.Seq, m.CreatedAt, m.EditedAt, m.DeletedAt, m.SenderId, author.UserName,
                        m.AuthorName ?? author.DisplayName, m.Type, deleted ? null : m.Content, m.ReplyToId, deleted ? [] : m.Attachments, m.Mentions,
                        [.. reactions[m.Id].Select(r => new ExportedReaction(r.Emoji, r.UserId, r.CreatedAt))],
                        m.Citations is null ? null : JsonSerializer.Deserialize<JsonElement>(m.Citations),
                        [.. edits[m.Id].Select(e => new ExportedEdit(e.Content, e.WrittenAt, e.ReplacedAt))]);
                    await JsonSerializer.SerializeAsync(lines, line, JsonSerializerOptions.Web, ct);
                    await lines.WriteAsync(NewLine, ct);
                    if (!deleted)
                    {
                        attachments.AddRange(m.Attachments);
                    }
                }
                count += page.Count;
                after = page[^1].Seq;
            }
        }

        var fileIds = attachments.Distinct().ToList();
        var fileNames = await db.KnownFiles.AsNoTracking().Where(f => fileIds.Contains(f.Id) && f.DeletedAt == null).ToDictionaryAsync(f => f.Id, f => f.Name, ct);
        var written = 0;
        foreach (var fileId in fileIds.Where(fileNames.ContainsKey))
        {
            using var response = await files.OpenAsync(fileId, ct);
            if (response is null)
            {
                continue; // deleted on Chat.Files since
            }
            // Stored, not compressed again: attachments are mostly compressed already (images, PDF, DOCX).
            var file = zip.CreateEntry($"files/{fileId}/{SafeName(fileNames[fileId])}", CompressionLevel.NoCompression);
            await using var target = await file.OpenAsync(ct);
            await using var source = await response.Content.ReadAsStreamAsync(ct);
            await source.CopyToAsync(target, ct);
            written++;
        }
        return (count, written);
    }

    /// <summary>A file name that is one safe path segment in any unzip tool: no folders, no control characters, not empty.</summary>
    public static string SafeName(string name)
    {
        var cleaned = new string(Path.GetFileName(name.Replace('\\', '/'))
            .Select(c => char.IsControl(c) || c is ':' or '*' or '?' or '"' or '<' or '>' or '|' ? '_' : c).ToArray()).Trim();
        return cleaned is "" or "." or ".." ? "file" : cleaned;
    }
}
