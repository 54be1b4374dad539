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
        return app;
    }
}
