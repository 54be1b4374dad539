using ChatAspire.ServiceDefaults.Http;
using System.Security.Claims;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Attachments;

internal static class FileAccessApi
{
    public static IEndpointRouteBuilder MapFileAccessApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/files/{fileId:guid}/grant", Grant).WithTags("Files").WithName("GrantFileAccess")
            .WithSummary("A short-lived download grant for a file the caller uploaded or can see in a channel, with its name, type and size.")
            .WithDescription("Chat.Files and the RAG service accept the grant as the query parameter `grant` " +
                "(`GET {files}/api/files/{id}/content?grant=…`, `GET {files}/api/files/{id}?grant=…`, `GET {rag}/api/rag/documents/by-file/{id}?grant=…`) " +
                "and verify it without asking Chat.Api. 404 when the file is unknown, deleted or not visible to the caller.");
        app.MapGet("/api/files/shared", SharedFiles).WithTags("Files").WithName("SharedFiles")
            .WithSummary("Ids of files attached to live messages in one channel, or in every channel the caller may read (used by Chat.RagService).");
        return app;
    }

    /// <summary>Only users get grants: a service reads files with its own token.</summary>
    private static async Task<Results<Ok<FileGrantDto>, NotFound>> Grant(Guid fileId, ClaimsPrincipal user, AttachmentAccess attachments,
        FileGrants grants, CancellationToken ct)
    {
        if (user.IsService() || await attachments.VisibleAsync(fileId, user.Caller(), ct) is not { } file)
        {
            return TypedResults.NotFound();
        }
        var (grant, expiresAt) = grants.Create(fileId, user);
        return TypedResults.Ok(new FileGrantDto(file.Id, file.Name, file.ContentType, file.Size, grant, expiresAt));
    }

    /// <summary>
    /// With <paramref name="channelId"/>: the files shared in that channel (the caller must be able to read it; a service
    /// may ask about any channel). Without: the files shared in every channel the caller can read (users only).
    /// </summary>
    private static async Task<Results<Ok<Guid[]>, ValidationProblem>> SharedFiles(
        Guid? channelId, ClaimsPrincipal user, ChatDbContext db, ChannelAccess access, CancellationToken ct)
    {
        IQueryable<Guid> channels;
        if (channelId is { } id)
        {
            if (!user.IsService())
            {
                await access.ReadableAsync(id, user.Caller(), ct);
            }
            channels = db.Channels.Where(c => c.Id == id).Select(c => c.Id);
        }
        else if (user.IsService())
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["channelId"] = ["A service must name the channel."] });
        }
        else
        {
            channels = ChannelAccess.ReadableBy(db, user.UserId(), user.Role()).Select(c => c.Id);
        }
        return TypedResults.Ok(await AttachmentAccess.SharedIn(db, channels).ToArrayAsync(ct));
    }
}
