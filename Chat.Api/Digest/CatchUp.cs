using System.Text.RegularExpressions;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Digest;

/// <summary>Someone who wrote in the unread part, with how many of its messages are theirs.</summary>
public sealed record ParticipantDto(Guid UserId, string Name, int Messages);

/// <summary>A message the digest picked, the size of its thread among the unread, and why it was picked.</summary>
public sealed record CatchUpItemDto(MessageDto Message, int ThreadSize, string Why);

/// <summary>
/// What happened after <c>FromSeq</c>: how many messages, who took part (most active first), and the messages worth
/// reading, in channel order, each a link to the history around it. <c>Mode</c> is <c>extractive</c> (picked, not written).
/// </summary>
public sealed record CatchUpDto(Guid ChannelId, long FromSeq, long ToSeq, int Unread, IReadOnlyList<ParticipantDto> Participants,
    IReadOnlyList<CatchUpItemDto> Highlights, string Mode);

/// <summary>
/// "Catch me up" without a model: the unread messages of a channel are grouped by thread, each message is scored by how
/// much it says that the rest does not (the inverse document frequency of its words among the unread, against its
/// length), by the replies and reactions it drew, and by whether it mentions the reader, a file or a question; the best
/// threads give their best one or two messages. Only what the reader may read, and only messages still there.
/// </summary>
public sealed partial class CatchUp(ChatDbContext db, ChannelAccess access, MessageService messages, UserDirectory users)
{
    /// <summary>The most unread messages read (the newest of them when there are more).</summary>
    public const int MaxMessages = 5000;

    public const int MaxHighlights = 30;
    public const int DefaultHighlights = 10;

    /// <summary>Without a read mark (a public channel the reader has not joined), this many of the newest messages.</summary>
    private const int WithoutMark = 200;

    private static readonly HashSet<string> StopWords =
    [
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "has", "have",
        "his", "how", "its", "may", "new", "now", "see", "who", "did", "get", "let", "say", "she", "too", "use", "that", "this",
        "with", "from", "they", "will", "would", "there", "their", "what", "about", "which", "when", "your", "just", "been", "were",
        "then", "them", "than", "into", "also", "some", "like", "only", "more", "here", "should", "could", "yes", "okay", "thanks",
    ];

    public async Task<CatchUpDto> DigestAsync(Caller caller, Guid channelId, long? after, int highlights, CancellationToken ct)
    {
        var (channel, member) = await access.ReadableAsync(channelId, caller, ct);
        var from = Math.Max(0, after ?? member?.LastReadSeq ?? channel.LastSeq - WithoutMark);
        var unread = await db.Messages.AsNoTracking().Include(m => m.Reactions)
            .Where(m => m.ChannelId == channelId && m.Seq > from && m.DeletedAt == null)
            .OrderByDescending(m => m.Seq).Take(MaxMessages).ToListAsync(ct);
        unread.Reverse();
        var readable = unread.Where(m => MessageIndexFeed.Indexed(m.Type)).ToList();
        if (readable.Count == 0)
        {
            return new CatchUpDto(channelId, from, channel.LastSeq, 0, [], [], "extractive");
        }

        var words = readable.ToDictionary(m => m.Id, m => Words(m.Content));
        var documentFrequency = words.Values.SelectMany(w => w.Distinct()).CountBy(w => w).ToDictionary(p => p.Key, p => p.Value);
        var threadOf = readable.ToDictionary(m => m.Id, m => m.ReplyToId ?? m.Id);
        var threadSize = threadOf.Values.CountBy(t => t).ToDictionary(p => p.Key, p => p.Value);
        var n = readable.Count;
        var scored = readable.Select(m =>
        {
            var mine = words[m.Id];
            var distinct = mine.Distinct().ToList();
            var information = distinct.Sum(w => Math.Log(1 + n / (double)documentFrequency[w])) / Math.Sqrt(mine.Count + 5);
            var replies = m.ReplyToId is null ? threadSize[m.Id] - 1 : 0;
            var why = new List<string>();
            var score = information * (mine.Count < 3 ? 0.3 : 1);
            if (replies > 0)
            {
                score += 1.5 * Math.Log(1 + replies);
                why.Add(replies == 1 ? "1 reply" : $"{replies} replies");
            }
            if (m.Reactions.Count > 0)
            {
                score += Math.Log(1 + m.Reactions.Count);
                why.Add(m.Reactions.Count == 1 ? "1 reaction" : $"{m.Reactions.Count} reactions");
            }
            if (m.Mentions.Contains(caller.UserId))
            {
                score += 3;
                why.Add("mentions you");
            }
            if (m.Attachments.Count > 0)
            {
                score += 1;
                why.Add("shares a file");
            }
            if (m.Content.TrimEnd().EndsWith('?') || m.Content.Contains("? ", StringComparison.Ordinal))
            {
                score += 0.5;
                why.Add("asks a question");
            }
            return (Message: m, Score: score, Why: why.Count > 0 ? string.Join(", ", why) : "says the most");
        }).ToList();

        // The best threads (by their best message and their size), each with its best message, and its second best when it is long.
        var picked = scored.GroupBy(s => threadOf[s.Message.Id])
            .Select(g => (Thread: g.Key, Best: g.OrderByDescending(s => s.Score).ToList()))
            .OrderByDescending(t => t.Best[0].Score + Math.Log(1 + threadSize[t.Thread]))
            .SelectMany(t => t.Best.Take(threadSize[t.Thread] > 5 ? 2 : 1))
            .Take(highlights).OrderBy(s => s.Message.Seq).ToList();
        var described = (await messages.DescribeAsync([.. picked.Select(p => p.Message)], ct)).ToDictionary(d => d.Id);
        var names = await users.NamesAsync(readable.Select(m => m.SenderId).Distinct(), ct);
        var participants = readable.GroupBy(m => m.SenderId).OrderByDescending(g => g.Count()).ThenBy(g => g.Min(m => m.Seq))
            .Select(g => new ParticipantDto(g.Key, g.First().AuthorName ?? names.GetValueOrDefault(g.Key, "unknown"), g.Count())).ToList();
        return new CatchUpDto(channelId, from, readable[^1].Seq, readable.Count, participants,
            [.. picked.Select(p => new CatchUpItemDto(described[p.Message.Id], threadSize[threadOf[p.Message.Id]], p.Why))], "extractive");
    }

    private static List<string> Words(string text) =>
        [.. Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length >= 3 && !StopWords.Contains(w))];

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}_\-']*")]
    private static partial Regex Word();
}
