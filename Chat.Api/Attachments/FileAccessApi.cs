using System.Security.Claims;
using Chat.Api.Channels;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Attachments;

internal static class FileAccessApi
{
    /// <summary>
    /// Chat.Files asks here before serving a file to anyone but its uploader: 204 when the caller may read a channel
    /// in which a live message carries the file as an attachment, 404 otherwise.
    /// </summary>
    public static IEndpointRouteBuilder MapFileAccessApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/files/{fileId:guid}/access", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.NoContent, Microsoft.AspNetCore.Http.HttpResults.NotFound>> (
            Guid fileId, ClaimsPrincipal user, AttachmentAccess attachments, CancellationToken ct) =>
            await attachments.IsSharedWithAsync(fileId, user.UserId(), ct) ? TypedResults.NoContent() : TypedResults.NotFound()
).WithTags("Files").WithName("FileAccess").WithSummary("Whether the caller may see a file shared in a channel (used by Chat.Files).");

        app.MapGet("/api/files/shared", SharedFiles).WithTags("Files").WithName("SharedFiles")
            .WithSummary("Ids of files attached to live messages in one channel, or in every channel the caller may read (used by Chat.RagService).");
        return app;
    }

    /// <summary>
    /// With <paramref name="channelId"/>: the files shared in that channel (the caller must be able to read it; a service
    /// may ask about any channel). Without: the files shared in every channel the caller can read (users only).
    /// </summary>
    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<Guid[]>, Microsoft.AspNetCore.Http.HttpResults.ValidationProblem>> SharedFiles(
        Guid? channelId, ClaimsPrincipal user, ChatDbContext db, ChannelAccess access, CancellationToken ct)
    {
        var messages = db.Messages.AsNoTracking().Where(m => m.DeletedAt == null && m.Attachments.Count > 0);
        if (channelId is { } id)
        {
            if (!user.IsService())
            {
                await access.ReadableAsync(id, user.Caller(), ct);
            }
            messages = messages.Where(m => m.ChannelId == id);
        }
        else if (user.IsService())
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["channelId"] = ["A service must name the channel."] });
        }
        else
        {
            var readable = ChannelAccess.ReadableBy(db, user.UserId()).Select(c => c.Id);
            messages = messages.Where(m => readable.Contains(m.ChannelId));
        }
        var ids = await messages.SelectMany(m => m.Attachments).Distinct().ToArrayAsync(ct);
        return TypedResults.Ok(ids);
    }
}
