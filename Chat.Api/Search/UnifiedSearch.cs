using Chat.Api.Attachments;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Search;

/// <summary>A passage of a document that matched, with what a link to its cited section needs.</summary>
public sealed record SearchPassageDto(Guid FileId, string FileName, string Text, int? Page, string? Heading);

/// <summary>One hit: <c>kind</c> <c>message</c> (with the message as history shows it) or <c>document</c> (with the passage).</summary>
public sealed record SearchHitDto(string Kind, double Score, MessageDto? Message, SearchPassageDto? Passage);

/// <summary>
/// The hits, best first. <c>Mode</c> says how they were found: <c>hybrid</c> (the team memory: meaning and words, messages
/// and documents), or <c>keyword</c> when the memory could not answer and only messages were searched by their words.
/// </summary>
public sealed record SearchResultsDto(string Query, string Mode, IReadOnlyList<SearchHitDto> Hits);

/// <summary>
/// <c>GET /api/search</c>: decides what the caller may read now (channels by <see cref="ChannelAccess.ReadableBy"/>,
/// files shared there or uploaded by them), asks the RAG service's team memory for exactly that, and checks every
/// message hit against the database before answering: a message deleted or a channel left a moment ago is never shown,
/// whatever the index still holds. Messages the memory has not indexed yet are found by their words (Postgres full text)
/// after its hits, and when the memory is unreachable, messages are searched that way alone.
/// </summary>
public sealed partial class UnifiedSearch(ChatDbContext db, ChannelAccess access, MessageService messages, MemoryClient memory,
    ILogger<UnifiedSearch> logger)
{
    public const int MaxQueryLength = 500;
    public const int MaxLimit = 50;
    public const int DefaultLimit = 20;

    public async Task<SearchResultsDto> SearchAsync(Caller caller, string query, Guid? channelId, int limit, CancellationToken ct)
    {
        query = query.Trim();
        List<Guid> channels;
        if (channelId is { } id)
        {
            await access.ReadableAsync(id, caller, ct);
            channels = [id];
        }
        else
        {
            channels = await ChannelAccess.ReadableBy(db, caller.UserId, caller.Role).Select(c => c.Id).ToListAsync(ct);
        }
        var channelSet = db.Channels.Where(c => channels.Contains(c.Id)).Select(c => c.Id);
        var shared = await AttachmentAccess.SharedIn(db, channelSet).ToListAsync(ct);
        var files = channelId is null ? shared.Union(await AttachmentAccess.OwnedBy(db, caller.UserId).ToListAsync(ct)).ToList() : shared;

        MemorySearchResponse found;
        try
        {
            found = await memory.SearchAsync(new MemorySearchRequest(query, channels, files, limit), ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogMemoryUnavailable(logger, ex is HttpRequestException { StatusCode: { } status } ? $"{(int)status}" : ex.GetType().Name);
            var keyword = query.Length <= MessageService.MaxKeywordQueryLength ? await messages.SearchAsync(caller, query, channelId, limit, ct) : [];
            return new SearchResultsDto(query, "keyword", [.. keyword.Select(m => new SearchHitDto(MemoryHitKinds.Message, 0, m, null))]);
        }

        // Messages as they are now, in channels the caller reads now.
        var ids = found.Hits.Where(h => h.MessageId is not null).Select(h => h.MessageId!.Value).ToList();
        var stored = ids.Count == 0 ? [] : await db.Messages.AsNoTracking().Include(m => m.Reactions)
            .Where(m => ids.Contains(m.Id) && m.DeletedAt == null && channels.Contains(m.ChannelId)).ToListAsync(ct);
        var described = (await messages.DescribeAsync(stored, ct)).ToDictionary(m => m.Id);
        var hits = new List<SearchHitDto>(found.Hits.Count);
        foreach (var hit in found.Hits)
        {
            if (hit.Kind == MemoryHitKinds.Message && hit.MessageId is { } messageId && described.TryGetValue(messageId, out var message))
            {
                hits.Add(new SearchHitDto(hit.Kind, hit.Score, message, null));
            }
            else if (hit.Kind == MemoryHitKinds.Document && hit.FileId is { } fileId && files.Contains(fileId))
            {
                hits.Add(new SearchHitDto(hit.Kind, hit.Score, null, new SearchPassageDto(fileId, hit.FileName ?? "", hit.Text, hit.Page, hit.Heading)));
            }
        }
        if (hits.Count < limit && query.Length <= MessageService.MaxKeywordQueryLength)
        {
            // Messages the memory has not indexed (sent a moment ago under load, or before it existed) are still found by
            // their words, after what it ranked.
            var seen = hits.Where(h => h.Message is not null).Select(h => h.Message!.Id).ToHashSet();
            var keyword = await messages.SearchAsync(caller, query, channelId, limit, ct);
            hits.AddRange(keyword.Where(m => !seen.Contains(m.Id)).Take(limit - hits.Count).Select(m => new SearchHitDto(MemoryHitKinds.Message, 0, m, null)));
        }
        return new SearchResultsDto(query, "hybrid", hits);
    }

    [LoggerMessage(EventId = 2950, EventName = "search_memory_unavailable", Level = LogLevel.Warning,
        Message = "search_memory_unavailable: the team memory did not answer ({Error}); searched messages by keyword")]
    private static partial void LogMemoryUnavailable(ILogger logger, string error);
}
