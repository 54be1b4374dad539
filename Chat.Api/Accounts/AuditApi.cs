using ChatAspire.ServiceDefaults.Http;
using Chat.Api.Audit;
using Chat.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Accounts;

/// <summary>
/// The audit trail for admins. In Accounts, beside the other admin routes, because it needs the admin role (Accounts
/// owns roles) while every feature, Accounts included, records into Audit: Audit depends on no feature.
/// </summary>
internal static class AuditApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").WithTags("Audit").RequireAuthorization(p => p.RequireRole(Roles.Admin));
        admin.MapGet("/audit", List).WithName("ListAuditEntries")
            .WithSummary("The audit trail, newest first (admins): filter by action and by actor (user id or user name); page with before=<the last id seen>.");
        return app;
    }

    private static async Task<Results<Ok<AuditEntryDto[]>, ValidationProblem>> List(string? action, string? actor, long? before, int? limit, ChatDbContext db,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (action is not null && !AuditActions.All.Contains(action))
        {
            errors["action"] = [$"One of: {string.Join(", ", AuditActions.All.Order(StringComparer.Ordinal))}."];
        }
        if (actor is { Length: > AuditEntry.MaxNameLength })
        {
            errors["actor"] = ["A user id or a user name."];
        }
        if (limit is < 1 or > MaxPageSize)
        {
            errors["limit"] = [$"1 to {MaxPageSize}."];
        }
        if (before is < 1)
        {
            errors["before"] = ["The id of an entry (the last one of the page before)."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        var query = db.AuditEntries.AsNoTracking();
        if (action is not null)
        {
            query = query.Where(e => e.Action == action);
        }
        if (Guid.TryParse(actor, out var actorId))
        {
            query = query.Where(e => e.ActorId == actorId);
        }
        else if (!string.IsNullOrWhiteSpace(actor))
        {
            var name = actor.Trim().ToLowerInvariant();
            query = query.Where(e => e.ActorName == name);
        }
        if (before is { } cursor)
        {
            query = query.Where(e => e.Id < cursor);
        }
        var page = await query.OrderByDescending(e => e.Id).Take(limit ?? DefaultPageSize).ToListAsync(ct);
        return TypedResults.Ok(page.Select(AuditEntryDto.From).ToArray());
    }
}
