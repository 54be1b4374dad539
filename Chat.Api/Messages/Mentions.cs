using System.Text.RegularExpressions;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Messages;

/// <summary>
/// The mention rule: <c>@userName</c> (user-name characters, not preceded by one, so <c>me@example.org</c> is no mention)
/// names a member of the channel. Resolved to user ids when a message is sent or edited and stored with it, so a
/// member's unread mentions and their mention list are index lookups, not text scans.
/// </summary>
public sealed partial class Mentions(ChatDbContext db)
{
    /// <summary>At most this many people are mentioned by one message (the rest are plain text).</summary>
    public const int MaxPerMessage = 20;

    /// <summary>The user names written as mentions in <paramref name="content"/>, lower-cased, without duplicates.</summary>
    public static IReadOnlyList<string> NamesIn(string content)
    {
        if (!content.Contains('@'))
        {
            return [];
        }
        var names = new List<string>();
        foreach (Match match in MentionPattern().Matches(content))
        {
            var name = match.Groups[1].Value.ToLowerInvariant();
            // "@bob." at the end of a sentence: the dot is punctuation unless a user is called "bob." (both are tried).
            foreach (var candidate in name.EndsWith('.') ? new[] { name, name.TrimEnd('.') } : [name])
            {
                if (candidate.Length >= 3 && !names.Contains(candidate))
                {
                    names.Add(candidate);
                }
            }
            if (names.Count >= MaxPerMessage * 2)
            {
                break;
            }
        }
        return names;
    }

    /// <summary>The members of <paramref name="channelId"/> mentioned in <paramref name="content"/> (no query when there is no mention).</summary>
    public async Task<List<Guid>> ResolveAsync(Guid channelId, string content, CancellationToken ct)
    {
        var names = NamesIn(content);
        if (names.Count == 0)
        {
            return [];
        }
        return await (from u in db.Users
                      join m in db.Members on u.Id equals m.UserId
                      where m.ChannelId == channelId && names.Contains(u.UserName)
                      orderby u.UserName
                      select u.Id).Take(MaxPerMessage).ToListAsync(ct);
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9._\-])@([A-Za-z0-9._\-]{3,32})")]
    private static partial Regex MentionPattern();
}
