using System.Security.Claims;
using Chat.Api.Attachments;
using Chat.Api.Channels;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Search;

/// <summary>What a person or bot may read now: channel ids, and file ids (shared in those channels or uploaded by them).</summary>
public sealed record ReadableDto(IReadOnlyList<Guid> Channels, IReadOnlyList<Guid> Files);

internal static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me/readable", Readable).WithTags("Search").WithName("Readable")
            .WithSummary("The channels and files I may read now (the RAG service's GET /api/search asks it, with my token).")
            .WithDescription("Channels: public ones (not for bots) and those I am a member of. Files: attached to live messages in those " +
                "channels, or uploaded by me and not deleted. The answer changes with the visibility epoch (memberships, channels, attachments).");
        return app;
    }

    private static async Task<Results<Ok<ReadableDto>, ValidationProblem>> Readable(ClaimsPrincipal user, ChatDbContext db, CancellationToken ct)
    {
        if (user.IsService())
        {
            return Problems.Invalid("token", "A service names the channels it searches; this answers for people and bots.");
        }
        var caller = user.Caller();
        var channels = await ChannelAccess.ReadableBy(db, caller.UserId, caller.Role).Select(c => c.Id).ToListAsync(ct);
        var shared = await AttachmentAccess.SharedIn(db, db.Channels.Where(c => channels.Contains(c.Id)).Select(c => c.Id)).ToListAsync(ct);
        var owned = await AttachmentAccess.OwnedBy(db, caller.UserId).ToListAsync(ct);
        return TypedResults.Ok(new ReadableDto(channels, [.. shared.Union(owned)]));
    }
}
