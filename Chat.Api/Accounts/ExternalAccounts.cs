using System.Security.Claims;
using System.Text;
using Chat.Api.Audit;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Accounts;

/// <summary>Why a single sign-on was refused; <see cref="Reason"/> is one of <see cref="SingleSignOn.Refusals"/>.</summary>
public sealed class SingleSignOnRefusal(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The ChatAspire account of a person signed in by an OpenID Connect provider: found by the provider's issuer and
/// <c>sub</c> (never by name or e-mail, which can be reused), made on the first sign-in, and kept in step on every
/// sign-in (display name; role where <see cref="OidcOptions.RoleClaim"/> is set). A disabled account stays out.
/// </summary>
public sealed class ExternalAccounts(IOptions<OidcOptions> oidc, TokenService tokens, UserDirectory names, AuditLog audit)
{
    private const string Via = "single sign-on";

    public async Task<User> SignInAsync(ChatDbContext db, ClaimsPrincipal external, CancellationToken ct)
    {
        var subject = external.FindFirst("sub")?.Value;
        var issuer = external.FindFirst("iss")?.Value ?? external.FindFirst("sub")?.Issuer;
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(issuer) || subject.Length > 256 || issuer.Length > 256)
        {
            throw new SingleSignOnRefusal(SingleSignOn.Refusals.Token, "The ID token names no usable subject.");
        }
        var role = RoleOf(external);
        var user = await db.Users.FirstOrDefaultAsync(u => u.ExternalIssuer == issuer && u.ExternalSubject == subject, ct)
            ?? await CreateAsync(db, external, issuer, subject, role, ct);
        if (user.DisabledAt is not null)
        {
            await audit.RecordAsync(db, new AuditRecord(AuditActions.SignIn, user.Id, user.UserName, AuditTargets.User, user.Id, AuditOutcomes.Failure,
                $"{Via}: account disabled"), ct);
            throw new SingleSignOnRefusal(SingleSignOn.Refusals.Disabled, "The account is disabled.");
        }
        if (await DisplayNameOfAsync(db, external, user.UserName, user.Id, ct) is { } displayName && displayName != user.DisplayName)
        {
            user.DisplayName = displayName;
            await db.SaveChangesAsync(ct);
            await names.RenamedAsync(user.Id, displayName);
        }
        if (role is not null && role != user.Role)
        {
            var before = user.Role;
            user.Role = role;
            await tokens.RevokeUserAsync(db, user, signOut: false, ct); // saves; tokens of the old role go
            await audit.RecordAsync(db, new AuditRecord(AuditActions.RoleChanged, null, Via, AuditTargets.User, user.Id, AuditOutcomes.Success,
                $"{user.UserName}: {before} → {role} (from the provider's {oidc.Value.RoleClaim})"), ct);
        }
        await audit.RecordAsync(db, new AuditRecord(AuditActions.SignIn, user.Id, user.UserName, AuditTargets.User, user.Id, Detail: Via), ct);
        return user;
    }

    private async Task<User> CreateAsync(ChatDbContext db, ClaimsPrincipal external, string issuer, string subject, string? role, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The same lock as sign-up: "the first account is admin" and unique names hold under concurrency.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(7301)", ct);
        if (await db.Users.FirstOrDefaultAsync(u => u.ExternalIssuer == issuer && u.ExternalSubject == subject, ct) is { } raced)
        {
            return raced;
        }
        var userName = await FreeUserNameAsync(db, UserNameCandidate(external), ct);
        var first = !await db.Users.AnyAsync(u => !u.IsSystem, ct);
        var user = new User
        {
            UserName = userName,
            DisplayName = await DisplayNameOfAsync(db, external, userName, null, ct) ?? userName,
            Role = role ?? (first ? Roles.Admin : Roles.User),
            ExternalIssuer = issuer,
            ExternalSubject = subject,
        };
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await audit.RecordAsync(db, new AuditRecord(AuditActions.AccountCreated, user.Id, user.UserName, AuditTargets.User, user.Id,
            Detail: $"{Via}, role {user.Role}"), ct);
        return user;
    }

    /// <summary>Admin or user from <see cref="OidcOptions.RoleClaim"/>; null when roles are not the provider's to say.</summary>
    private string? RoleOf(ClaimsPrincipal external)
    {
        var o = oidc.Value;
        if (string.IsNullOrEmpty(o.RoleClaim))
        {
            return null;
        }
        var admin = external.FindAll(o.RoleClaim).Any(c => o.AdminValues.Contains(c.Value, StringComparer.OrdinalIgnoreCase));
        return admin ? Roles.Admin : Roles.User;
    }

    /// <summary>The provider's <c>name</c> when it passes the sign-up rules (format, no impersonation); null otherwise.</summary>
    private static async Task<string?> DisplayNameOfAsync(ChatDbContext db, ClaimsPrincipal external, string userName, Guid? self, CancellationToken ct)
    {
        var name = external.FindFirst("name")?.Value?.Trim();
        if (string.IsNullOrEmpty(name) || DisplayNames.FormatRefusal(name) is not null)
        {
            return null;
        }
        return await DisplayNames.ImpersonationRefusalAsync(db, name, userName, self, ct) is null ? name : null;
    }

    /// <summary>The configured claim, the e-mail's local part, or <c>name</c>, folded to the user name alphabet (a-z 0-9 . _ -).</summary>
    private string UserNameCandidate(ClaimsPrincipal external)
    {
        var raw = new[] { external.FindFirst(oidc.Value.UserNameClaim)?.Value, external.FindFirst("email")?.Value, external.FindFirst("name")?.Value }
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? "user";
        var at = raw.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            raw = raw[..at];
        }
        var folded = new StringBuilder();
        foreach (var c in raw.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-')
            {
                folded.Append(c);
            }
            else if (char.IsWhiteSpace(c) && folded.Length > 0 && folded[^1] != '-')
            {
                folded.Append('-');
            }
        }
        var name = folded.ToString().Trim('-', '.');
        name = name.Length > User.MaxUserNameLength - 3 ? name[..(User.MaxUserNameLength - 3)] : name;
        return name.Length < 3 ? $"user-{name}".TrimEnd('-') : name;
    }

    /// <summary><paramref name="candidate"/>, or with the first free suffix (-2, -3, ...); reserved names are never given.</summary>
    private static async Task<string> FreeUserNameAsync(ChatDbContext db, string candidate, CancellationToken ct)
    {
        var taken = await db.Users.Where(u => u.UserName.StartsWith(candidate)).Select(u => u.UserName).ToListAsync(ct);
        for (var n = 1; ; n++)
        {
            var name = n == 1 ? candidate : $"{candidate}-{n}";
            if (!taken.Contains(name) && !DisplayNames.IsReservedUserName(name, configuredAdmin: null) && AccountsApi.UserNamePattern().IsMatch(name))
            {
                return name;
            }
        }
    }
}
