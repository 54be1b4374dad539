using System.Collections.Frozen;
using Chat.Api.Data;
using ChatAspire.Rules;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Accounts;

/// <summary>
/// Who may be called what. Names are compared by what a reader sees (<see cref="TextRules.Skeleton"/>): case, width,
/// spacing and punctuation do not count. Nobody may take a name the system uses ("assistant", "admin", "everyone", …),
/// another person's user name, or the display name of an admin or a system account.
/// </summary>
public static class DisplayNames
{
    public static readonly FrozenSet<string> Reserved = new[]
    {
        "assistant", "ai", "bot", "system", "admin", "administrator", "moderator", "mod", "root", "chataspire", "support",
        "security", "everyone", "here", "channel", "all", "server",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Why a display name is refused (format only), or null.</summary>
    public static string? FormatRefusal(string displayName) =>
        displayName.Length is 0 or > User.MaxDisplayNameLength
            ? $"1 to {User.MaxDisplayNameLength} characters."
            : !TextRules.IsAcceptableName(displayName)
                ? "The name contains a control or invisible formatting character (such as a bidirectional override)."
                : null;

    /// <summary>True when <paramref name="userName"/> is one the system keeps for itself (the configured admin name excepted).</summary>
    public static bool IsReservedUserName(string userName, string? configuredAdmin) =>
        Reserved.Contains(TextRules.Skeleton(userName)) && !string.Equals(userName, configuredAdmin, StringComparison.OrdinalIgnoreCase);

    /// <summary>Why <paramref name="displayName"/> would impersonate someone, or null. <paramref name="self"/> is the account taking it.</summary>
    public static async Task<string?> ImpersonationRefusalAsync(ChatDbContext db, string displayName, string ownUserName, Guid? self, CancellationToken ct)
    {
        var skeleton = TextRules.Skeleton(displayName);
        if (skeleton.Length == 0)
        {
            return "The name has no visible characters.";
        }
        if (skeleton == TextRules.Skeleton(ownUserName))
        {
            return null;
        }
        if (Reserved.Contains(skeleton))
        {
            return $"\"{displayName}\" is reserved for the system.";
        }
        // User names are [a-z0-9._-]: their skeleton is the name without '.', '_' and '-'.
        var takenAsUserName = await db.Users.AnyAsync(u => u.Id != self
            && u.UserName.Replace(".", "").Replace("_", "").Replace("-", "") == skeleton, ct);
        if (takenAsUserName)
        {
            return "That is another person's user name.";
        }
        var privileged = await db.Users.AsNoTracking().Where(u => u.Id != self && (u.IsSystem || u.Role == Roles.Admin))
            .Select(u => u.DisplayName).ToListAsync(ct);
        return privileged.Any(name => TextRules.Skeleton(name) == skeleton) ? "That is the name of an administrator or a system account." : null;
    }
}
