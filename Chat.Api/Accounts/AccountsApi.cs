using ChatAspire.ServiceDefaults.Http;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Chat.Api.Audit;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.Rules;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Accounts;

public sealed record RegisterRequest(string UserName, string Password, string? DisplayName);
public sealed record LoginRequest(string UserName, string Password);
public sealed record RefreshRequest(string RefreshToken);
public sealed record AuthResponse(UserDto User, TokenPair Tokens);
public sealed record ChangeRoleRequest(string Role);
public sealed record SetDisabledRequest(bool Disabled);
public sealed record UpdateProfileRequest(string? DisplayName);

/// <summary>How people sign in here: with a password (<paramref name="LocalAccounts"/>) and/or single sign-on (null when not configured).</summary>
public sealed record SignInMethods(bool LocalAccounts, SingleSignOnMethod? SingleSignOn);

/// <summary>The provider's name for the button and where the button goes.</summary>
public sealed record SingleSignOnMethod(string DisplayName, string Url);

internal static partial class AccountsApi
{
    public const string AuthRateLimitPolicy = "auth";
    private const string GenericLoginFailure = "Invalid user name or password.";

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Accounts").RequireRateLimiting(AuthRateLimitPolicy);
        auth.MapPost("/register", Register).AllowAnonymous().WithName("Register").WithSummary("Create an account and log in.");
        auth.MapPost("/login", Login).AllowAnonymous().WithName("Login").WithSummary("Log in with user name and password.");
        auth.MapPost("/refresh", Refresh).AllowAnonymous().WithName("Refresh").WithSummary("Trade a refresh token for new tokens (the old one is revoked).");
        auth.MapPost("/logout", Logout).WithName("Logout")
            .WithSummary("End this sign-in: its refresh tokens and, on every service within seconds, its access tokens and hub connections.");
        auth.MapGet("/me", Me).WithName("CurrentUser").WithSummary("The logged-in user.");
        auth.MapGet("/methods", Methods).AllowAnonymous().WithName("SignInMethods")
            .WithSummary("How people sign in here: password accounts and/or single sign-on (its button text and address).");
        app.MapSingleSignOn();

        var users = app.MapGroup("/api/users").WithTags("Accounts");
        users.MapGet("/", SearchUsers).WithName("SearchUsers")
            .WithSummary("Find users by name (for invites and direct messages). Roles and account state are shown to admins only.");
        users.MapPut("/me", UpdateProfile).WithName("UpdateProfile")
            .WithSummary("Change my display name (the same rules as at sign-up); people see it on their next page load.");
        users.MapPut("/{id:guid}/role", ChangeRole).RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .WithName("ChangeRole").WithSummary("Admins change a user's system role (the user's current access tokens are revoked).");
        users.MapPut("/{id:guid}/disabled", SetDisabled).RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .WithName("SetDisabled").WithSummary("Admins disable (or enable) an account: it is signed out everywhere within seconds.");
        return app;
    }

    private static Ok<SignInMethods> Methods(IOptions<SignInOptions> signIn, IOptions<OidcOptions> oidc) =>
        TypedResults.Ok(new SignInMethods(signIn.Value.LocalAccounts,
            oidc.Value.Enabled ? new SingleSignOnMethod(oidc.Value.DisplayName, "/api/auth/oidc/login") : null));

    /// <summary>The refusal of a password sign-up or sign-in where only single sign-on is on (<c>Auth:LocalAccounts=false</c>).</summary>
    private static ProblemHttpResult? LocalAccountsOff(SignInOptions signIn, OidcOptions oidc) => signIn.LocalAccounts
        ? null
        : TypedResults.Problem($"Password accounts are turned off here; sign in with {oidc.DisplayName}.", statusCode: StatusCodes.Status403Forbidden);

    private static async Task<Results<Created<AuthResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, ChatDbContext db, TokenService tokens, IPasswordHasher<User> hasher, PasswordPolicy passwords,
        IOptions<AccountsOptions> options, IOptions<SignInOptions> signIn, IOptions<OidcOptions> oidc, AuditLog audit, CancellationToken ct)
    {
        if (LocalAccountsOff(signIn.Value, oidc.Value) is { } off)
        {
            return off;
        }
        if (!options.Value.AllowRegistration)
        {
            return TypedResults.Problem("Registration is closed.", statusCode: StatusCodes.Status403Forbidden);
        }
        var userName = (request.UserName ?? "").Trim().ToLowerInvariant();
        var errors = new Dictionary<string, string[]>();
        if (!UserNamePattern().IsMatch(userName))
        {
            errors["userName"] = ["3 to 32 characters: letters, digits, '.', '_' or '-'."];
        }
        else if (DisplayNames.IsReservedUserName(userName, options.Value.AdminUserName))
        {
            errors["userName"] = [$"\"{userName}\" is reserved for the system."];
        }
        if (passwords.Refusal(request.Password, userName) is { } weak)
        {
            errors["password"] = [weak];
        }
        var displayName = string.IsNullOrWhiteSpace(request.DisplayName) ? userName : request.DisplayName.Trim();
        if (DisplayNames.FormatRefusal(displayName) is { } badName)
        {
            errors["displayName"] = [badName];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        if (await DisplayNames.ImpersonationRefusalAsync(db, displayName, userName, self: null, ct) is { } impersonation)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["displayName"] = [impersonation] });
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Serialise registrations so "the first account is admin" holds under concurrency.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(7301)", ct);
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            return TypedResults.Problem("That user name is taken.", statusCode: StatusCodes.Status409Conflict);
        }
        var first = !await db.Users.AnyAsync(u => !u.IsSystem, ct);
        var user = new User
        {
            UserName = userName,
            DisplayName = displayName,
            Role = first || userName == options.Value.AdminUserName?.ToLowerInvariant() ? Roles.Admin : Roles.User,
        };
        user.PasswordHash = hasher.HashPassword(user, request.Password!);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        var pair = await tokens.IssueAsync(db, user, ct);
        await tx.CommitAsync(ct);
        await audit.RecordAsync(db, new AuditRecord(AuditActions.AccountCreated, user.Id, user.UserName, AuditTargets.User, user.Id, Detail: $"role {user.Role}"), ct);
        return TypedResults.Created("/api/auth/me", new AuthResponse(UserDto.From(user), pair));
    }

    private static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Login(
        LoginRequest request, ChatDbContext db, TokenService tokens, IPasswordHasher<User> hasher, LoginThrottle throttle, AuditLog audit,
        IOptions<SignInOptions> signIn, IOptions<OidcOptions> oidc, CancellationToken ct)
    {
        if (LocalAccountsOff(signIn.Value, oidc.Value) is { } off)
        {
            return off;
        }
        var userName = (request.UserName ?? "").Trim().ToLowerInvariant();
        if (userName.Length is 0 or > User.MaxUserNameLength || string.IsNullOrEmpty(request.Password))
        {
            return TypedResults.Problem(GenericLoginFailure, statusCode: StatusCodes.Status401Unauthorized);
        }
        if (await throttle.LockedForAsync(userName) is { } lockedFor)
        {
            await audit.RecordAsync(db, SignInFailure(null, userName, "locked out after repeated failures"), ct);
            return TypedResults.Problem($"Too many failed attempts; try again in {Math.Ceiling(lockedFor.TotalMinutes)} minutes.",
                statusCode: StatusCodes.Status429TooManyRequests);
        }
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName && !u.IsSystem, ct);
        // Hash even for unknown names so the response time does not reveal which accounts exist.
        var verified = user?.PasswordHash is { } hash
            ? hasher.VerifyHashedPassword(user, hash, request.Password)
            : VerifyAgainstDummy(hasher, request.Password);
        if (user is null || verified == PasswordVerificationResult.Failed)
        {
            await throttle.FailedAsync(userName);
            // An unknown name is not kept: people type their password into the name field often enough.
            await audit.RecordAsync(db, SignInFailure(user?.Id, user?.UserName, user is null ? "unknown user name" : "wrong password"), ct);
            return TypedResults.Problem(GenericLoginFailure, statusCode: StatusCodes.Status401Unauthorized);
        }
        if (user.DisabledAt is not null)
        {
            await audit.RecordAsync(db, SignInFailure(user.Id, userName, "account disabled"), ct);
            return TypedResults.Problem("This account is disabled; ask an administrator.", statusCode: StatusCodes.Status403Forbidden);
        }
        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = hasher.HashPassword(user, request.Password);
        }
        await throttle.SucceededAsync(userName);
        var pair = await tokens.IssueAsync(db, user, ct);
        await audit.RecordAsync(db, new AuditRecord(AuditActions.SignIn, user.Id, user.UserName, AuditTargets.User, user.Id), ct);
        return TypedResults.Ok(new AuthResponse(UserDto.From(user), pair));
    }

    private static AuditRecord SignInFailure(Guid? userId, string? userName, string why) =>
        new(AuditActions.SignIn, userId, userName, AuditTargets.User, userId, AuditOutcomes.Failure, why);

    private static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Refresh(RefreshRequest request, ChatDbContext db, TokenService tokens, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request?.RefreshToken) || await tokens.RedeemAsync(db, request.RefreshToken, ct) is not var (user, family))
        {
            return TypedResults.Problem("The refresh token is invalid or expired.", statusCode: StatusCodes.Status401Unauthorized);
        }
        return TypedResults.Ok(new AuthResponse(UserDto.From(user), await tokens.IssueAsync(db, user, ct, family)));
    }

    /// <summary>Ends the caller's sign-in (the <c>sid</c> of the access token) and the sign-in of the refresh token given, if it is the caller's.</summary>
    private static async Task<NoContent> Logout(RefreshRequest? request, ClaimsPrincipal principal, ChatDbContext db, TokenService tokens, AuditLog audit,
        CancellationToken ct)
    {
        var userId = principal.UserId();
        var families = new HashSet<Guid>();
        if (Guid.TryParse(principal.FindFirst(TokenRevocations.SessionClaim)?.Value, out var session) && session != Guid.Empty)
        {
            families.Add(session);
        }
        if (!string.IsNullOrEmpty(request?.RefreshToken))
        {
            var hash = TokenService.Hash(request.RefreshToken);
            if (await db.RefreshTokens.Where(t => t.TokenHash == hash && t.UserId == userId).Select(t => (Guid?)t.FamilyId).FirstOrDefaultAsync(ct) is { } family)
            {
                families.Add(family);
            }
        }
        foreach (var family in families)
        {
            await tokens.RevokeFamilyAsync(db, userId, family, ct);
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.SignOut, AuditTargets.Session, family), ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserDto>, NotFound>> Me(ClaimsPrincipal principal, ChatDbContext db, CancellationToken ct) =>
        await db.Users.FindAsync([principal.UserId()], ct) is { } user ? TypedResults.Ok(UserDto.From(user)) : TypedResults.NotFound();

    private static async Task<Results<Ok<UserSummaryDto[]>, Ok<UserDto[]>, ValidationProblem>> SearchUsers(
        string? q, ClaimsPrincipal principal, ChatDbContext db, CancellationToken ct)
    {
        var prefix = (q ?? "").Trim().ToLowerInvariant();
        if (prefix.Length > User.MaxUserNameLength || !TextRules.IsAcceptableText(prefix))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["q"] = [$"At most {User.MaxUserNameLength} printable characters."] });
        }
        var users = await db.Users.AsNoTracking()
            .Where(u => prefix.Length == 0 || u.UserName.StartsWith(prefix))
            .OrderBy(u => u.UserName).Take(20).ToArrayAsync(ct);
        // Roles and account state are an admin's business; everyone else needs a name to invite.
        return principal.Role() == Roles.Admin
            ? TypedResults.Ok(users.Select(UserDto.From).ToArray())
            : TypedResults.Ok(users.Select(UserSummaryDto.From).ToArray());
    }

    private static async Task<Results<Ok<UserDto>, NotFound, ValidationProblem>> UpdateProfile(
        UpdateProfileRequest request, ClaimsPrincipal principal, ChatDbContext db, UserDirectory names, AuditLog audit, CancellationToken ct)
    {
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == principal.UserId() && !u.IsSystem, ct) is not { } user)
        {
            return TypedResults.NotFound();
        }
        var displayName = string.IsNullOrWhiteSpace(request?.DisplayName) ? user.UserName : request.DisplayName.Trim();
        if ((DisplayNames.FormatRefusal(displayName) ?? await DisplayNames.ImpersonationRefusalAsync(db, displayName, user.UserName, user.Id, ct))
            is { } refusal)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["displayName"] = [refusal] });
        }
        if (user.DisplayName != displayName)
        {
            user.DisplayName = displayName;
            await db.SaveChangesAsync(ct);
            await names.RenamedAsync(user.Id, displayName);
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.DisplayNameChanged, AuditTargets.User, user.Id), ct);
        }
        return TypedResults.Ok(UserDto.From(user));
    }

    private static async Task<Results<Ok<UserDto>, NotFound, ValidationProblem>> ChangeRole(
        Guid id, ChangeRoleRequest request, ClaimsPrincipal principal, ChatDbContext db, TokenService tokens, AuditLog audit, CancellationToken ct)
    {
        if (request?.Role is not { } role || !Roles.All.Contains(role))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["role"] = [$"One of: {string.Join(", ", Roles.All)}."] });
        }
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id && !u.IsSystem, ct) is not { } user)
        {
            return TypedResults.NotFound();
        }
        if (user.Role != role)
        {
            var before = user.Role;
            user.Role = role;
            // Tokens carry the role: the old ones go, the user's next refresh brings the new role.
            await tokens.RevokeUserAsync(db, user, signOut: false, ct);
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.RoleChanged, AuditTargets.User, user.Id, $"{user.UserName}: {before} → {role}"), ct);
        }
        return TypedResults.Ok(UserDto.From(user));
    }

    private static async Task<Results<Ok<UserDto>, NotFound, ProblemHttpResult>> SetDisabled(
        Guid id, SetDisabledRequest request, ClaimsPrincipal principal, ChatDbContext db, TokenService tokens, TimeProvider clock, AuditLog audit,
        CancellationToken ct)
    {
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id && !u.IsSystem, ct) is not { } user)
        {
            return TypedResults.NotFound();
        }
        if (user.Id == principal.UserId())
        {
            return TypedResults.Problem("Admins cannot disable their own account.", statusCode: StatusCodes.Status409Conflict);
        }
        if (request.Disabled && user.DisabledAt is null)
        {
            user.DisabledAt = clock.GetUtcNow();
            await tokens.RevokeUserAsync(db, user, signOut: true, ct);
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.UserDisabled, AuditTargets.User, user.Id, user.UserName), ct);
        }
        else if (!request.Disabled && user.DisabledAt is not null)
        {
            user.DisabledAt = null;
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.UserEnabled, AuditTargets.User, user.Id, user.UserName), ct);
        }
        return TypedResults.Ok(UserDto.From(user));
    }

    private static readonly string DummyHash = new PasswordHasher<User>().HashPassword(null!, "not-a-real-password");

    private static PasswordVerificationResult VerifyAgainstDummy(IPasswordHasher<User> hasher, string password)
    {
        hasher.VerifyHashedPassword(null!, DummyHash, password);
        return PasswordVerificationResult.Failed;
    }

    [GeneratedRegex("^[a-z0-9._-]{3,32}$")]
    internal static partial Regex UserNamePattern();
}
