using System.Security.Claims;
using Chat.Api.Audit;
using Chat.Api.Channels;
using Chat.Api.Data;

namespace Chat.Api.Export;

internal static class ExportApi
{
    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/channels/{channelId:guid}/export", Export).WithTags("Channels").WithName("ExportChannel")
            .WithSummary("The channel's history as a zip (owner or admin): messages.jsonl, one message per line in seq order, and files/ with the attachments.")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task Export(Guid channelId, ClaimsPrincipal user, HttpContext context, ChannelAccess access, ChannelExporter exporter,
        ChatDbContext db, AuditLog audit, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(channelId, user.Caller(), ct); // refusals are ChatExceptions: ProblemDetails
        var fileName = $"{ChannelExporter.SafeName(channel.Name)}-{DateTimeOffset.UtcNow:yyyy-MM-dd}.zip";
        // ZipArchive still writes a few headers synchronously, even through its async API; an export is rare and long,
        // so one request may block its thread on them rather than fail half-way.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } body)
        {
            body.AllowSynchronousIO = true;
        }
        context.Response.ContentType = "application/zip";
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName); // filename and filename* (UTF-8), for any channel name
        context.Response.Headers.ContentDisposition = disposition.ToString();
        var (messages, files) = await exporter.WriteAsync(channelId, context.Response.Body, ct);
        await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.ChannelExported, AuditTargets.Channel, channelId, $"{messages} messages, {files} files"), ct);
    }
}
