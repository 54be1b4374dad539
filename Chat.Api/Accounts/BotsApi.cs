using ChatAspire.ServiceDefaults.Http;
using System.Security.Claims;
using Chat.Api.Audit;
using Chat.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Accounts;

/// <summary>
/// Bot accounts (admins): each has a token that signs it in on the REST API and the hub, and it reads and posts only in
/// the channels a channel owner (or admin) added it to, like any member (<c>POST /api/channels/{id}/members</c>).
/// </summary>
internal static class BotsApi
{
    public static IEndpointRouteBuilder MapBotsApi(this IEndpointRouteBuilder app)
    {
        var bots = app.MapGroup("/api/admin/bots").WithTags("Accounts").RequireAuthorization(p => p.RequireRole(Roles.Admin));
        bots.MapPost("/", Create).WithName("CreateBot")
            .WithSummary("Create a bot account and its token (shown once). Add it to channels as a member; it sees nothing else.");
        bots.MapGet("/", List).WithName("ListBots").WithSummary("Bot accounts (never their tokens).");
        bots.MapDelete("/{id:guid}", Revoke).WithName("RevokeBot")
            .WithSummary("Revoke a bot: its token stops working and its hub connections close within seconds, on every replica.");
        return app;
    }

    private static async Task<Results<Created<CreatedBotDto>, ValidationProblem, ProblemHttpResult>> Create(CreateBotRequest request, ClaimsPrincipal principal,
        ChatDbContext db, IOptions<AccountsOptions> options, AuditLog audit, CancellationToken ct)
    {
        var userName = (request.Name ?? "").Trim().ToLowerInvariant();
        var displayName = string.IsNullOrWhiteSpace(request.DisplayName) ? userName : request.DisplayName.Trim();
        var errors = new Dictionary<string, string[]>();
        if (!AccountsApi.UserNamePattern().IsMatch(userName))
        {
            errors["name"] = ["3 to 32 characters: letters, digits, '.', '_' or '-'."];
        }
        else if (DisplayNames.IsReservedUserName(userName, options.Value.AdminUserName))
        {
            errors["name"] = [$"\"{userName}\" is reserved for the system."];
        }
        if (DisplayNames.FormatRefusal(displayName) is { } badName)
        {
            errors["displayName"] = [badName];
        }
        else if (errors.Count == 0 && await DisplayNames.ImpersonationRefusalAsync(db, displayName, userName, self: null, ct) is { } impersonation)
        {
            errors["displayName"] = [impersonation];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            return TypedResults.Problem("That name is taken.", statusCode: StatusCodes.Status409Conflict);
        }
        var bot = new User { UserName = userName, DisplayName = displayName, Role = Roles.Bot };
        var (token, hash) = BotTokenStore.Create();
        var row = new BotToken { UserId = bot.Id, TokenHash = hash, CreatedBy = principal.UserId() };
        db.Users.Add(bot);
        db.BotTokens.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.BotCreated, AuditTargets.User, bot.Id, userName), ct);
        return TypedResults.Created($"/api/admin/bots/{bot.Id}", new CreatedBotDto(bot.Id, bot.UserName, bot.DisplayName, row.CreatedAt, token));
    }

    private static async Task<Ok<BotDto[]>> List(ChatDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await (from u in db.Users.AsNoTracking()
                               where u.Role == Roles.Bot
                               join t in db.BotTokens.AsNoTracking() on u.Id equals t.UserId
                               orderby u.UserName
                               select new BotDto(u.Id, u.UserName, u.DisplayName, t.CreatedAt, t.RevokedAt)).Take(500).ToArrayAsync(ct));

    private static async Task<Results<NoContent, NotFound>> Revoke(Guid id, ClaimsPrincipal principal, ChatDbContext db, TokenService tokens, TimeProvider clock,
        AuditLog audit, CancellationToken ct)
    {
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id && u.Role == Roles.Bot, ct) is not { } bot)
        {
            return TypedResults.NotFound();
        }
        var now = clock.GetUtcNow();
        if (bot.DisabledAt is null)
        {
            bot.DisabledAt = now;
            await db.BotTokens.Where(t => t.UserId == id && t.RevokedAt == null).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            await tokens.RevokeUserAsync(db, bot, signOut: true, ct); // saves the account; every replica hears the new token version
            await audit.RecordAsync(db, AuditRecord.By(principal, AuditActions.BotRevoked, AuditTargets.User, bot.Id, bot.UserName), ct);
        }
        return TypedResults.NoContent();
    }
}
