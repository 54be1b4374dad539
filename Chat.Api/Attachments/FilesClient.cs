using ChatAspire.ServiceDefaults.Auth;
using System.Net.Http.Headers;
using System.Security.Claims;
using Chat.Api.Channels;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Attachments;

/// <summary>Asks Chat.Files (service discovery name <c>files</c>) whether the caller may see a file, with the caller's own token.</summary>
public sealed class FilesClient(HttpClient http)
{
    public async Task<bool> CallerMaySeeAsync(Guid fileId, string bearerToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/files/{fileId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        using var response = await http.SendAsync(request, ct);
        return response.IsSuccessStatusCode;
    }
}

internal static class FileAccessApi
{
    /// <summary>
    /// Chat.Files asks here before serving a file to anyone but its uploader: 204 when the caller may read a channel
    /// in which a live message carries the file as an attachment, 404 otherwise.
    /// </summary>
    public static IEndpointRouteBuilder MapFileAccessApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/files/{fileId:guid}/access", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.NoContent, Microsoft.AspNetCore.Http.HttpResults.NotFound>> (
            Guid fileId, ClaimsPrincipal user, ChatDbContext db, CancellationToken ct) =>
        {
            var me = user.UserId();
            var shared = await db.Messages.AnyAsync(m => m.DeletedAt == null && m.Attachments.Contains(fileId)
                && db.Channels.Any(c => c.Id == m.ChannelId && (c.Kind == ChannelKinds.Public || db.Members.Any(x => x.ChannelId == c.Id && x.UserId == me))), ct);
            return shared ? TypedResults.NoContent() : TypedResults.NotFound();
        }).WithTags("Files").WithName("FileAccess").WithSummary("Whether the caller may see a file shared in a channel (used by Chat.Files).");

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
            var me = user.UserId();
            messages = messages.Where(m => db.Channels.Any(c => c.Id == m.ChannelId
                && (c.Kind == ChannelKinds.Public || db.Members.Any(x => x.ChannelId == c.Id && x.UserId == me))));
        }
        var ids = await messages.SelectMany(m => m.Attachments).Distinct().ToArrayAsync(ct);
        return TypedResults.Ok(ids);
    }
}
