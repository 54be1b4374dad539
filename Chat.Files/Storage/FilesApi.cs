using ChatAspire.ServiceDefaults.Auth;
using System.Security.Claims;
using Chat.Files.Data;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Chat.Files.Storage;

internal static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/files").WithTags("Files");
        group.MapPost("/", Upload).DisableAntiforgery().WithName("UploadFile")
            .WithSummary("Upload one file as multipart/form-data (streamed; type decided from the bytes).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListMine).WithName("ListMyFiles").WithSummary("My files, newest first.");
        group.MapGet("/{id:guid}", GetMetadata).WithName("GetFileMetadata").WithSummary("Metadata of a file I uploaded or that was shared in one of my channels.");
        group.MapGet("/{id:guid}/content", Download).WithName("DownloadFile").WithSummary("The file's bytes.");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteFile").WithSummary("Delete a file I uploaded.");
        return app;
    }

    private static async Task<Results<Created<FileMetadata>, ProblemHttpResult>> Upload(
        HttpContext context, ClaimsPrincipal user, UploadService uploads, IOptions<FilesOptions> options, CancellationToken ct)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxFileSize + 1024 * 1024; // multipart overhead; the exact limit is enforced while streaming
        }
        var result = await uploads.UploadAsync(context.Request, user.UserId(), ct);
        if (result.File is { } file)
        {
            return TypedResults.Created($"/api/files/{file.Id}", file);
        }
        var status = result.Rejection switch
        {
            UploadRejection.TooLarge or UploadRejection.Quota => StatusCodes.Status413PayloadTooLarge,
            UploadRejection.UnsupportedType => StatusCodes.Status415UnsupportedMediaType,
            UploadRejection.Scan or UploadRejection.Archive => StatusCodes.Status422UnprocessableEntity,
            _ => StatusCodes.Status400BadRequest,
        };
        return TypedResults.Problem(result.Detail, statusCode: status);
    }

    private static async Task<Ok<FileMetadata[]>> ListMine(ClaimsPrincipal user, FilesDbContext db, CancellationToken ct)
    {
        var me = user.UserId();
        var files = await db.Files.AsNoTracking().Where(f => f.OwnerId == me).OrderByDescending(f => f.CreatedAt).Take(200).ToArrayAsync(ct);
        return TypedResults.Ok(files.Select(FileMetadata.From).ToArray());
    }

    private static async Task<Results<Ok<FileMetadata>, NotFound>> GetMetadata(Guid id, HttpContext context, FilesDbContext db, ChannelShares shares, CancellationToken ct) =>
        await VisibleAsync(id, context, db, shares, ct) is { } file ? TypedResults.Ok(FileMetadata.From(file)) : TypedResults.NotFound();

    private static async Task<Results<FileStreamHttpResult, NotFound>> Download(Guid id, HttpContext context, FilesDbContext db, ChannelShares shares,
        BlobStore blobs, CancellationToken ct)
    {
        if (await VisibleAsync(id, context, db, shares, ct) is not { } file)
        {
            return TypedResults.NotFound();
        }
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        var disposition = new ContentDispositionHeaderValue(ContentTypes.IsImage(file.ContentType) ? "inline" : "attachment");
        disposition.SetHttpFileName(file.Name); // RFC 6266: ASCII filename= plus UTF-8 filename*=
        context.Response.Headers.ContentDisposition = disposition.ToString();
        return TypedResults.Stream(blobs.Open(file.Sha256), file.ContentType, fileDownloadName: null, enableRangeProcessing: true);
    }

    private static async Task<Results<NoContent, NotFound>> Delete(Guid id, ClaimsPrincipal user, UploadService uploads, CancellationToken ct) =>
        await uploads.DeleteAsync(id, user.UserId(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>The uploader sees a file, and so do services (ingestion); so does anyone Chat.Api says is in a channel where it was shared. Others get 404.</summary>
    private static async Task<StoredFile?> VisibleAsync(Guid id, HttpContext context, FilesDbContext db, ChannelShares shares, CancellationToken ct)
    {
        if (await db.Files.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct) is not { } file)
        {
            return null;
        }
        if (file.OwnerId == context.User.UserId() || context.User.IsService())
        {
            return file;
        }
        var token = BearerToken.From(context);
        return token.Length > 0 && await shares.CallerMaySeeAsync(id, token, ct) ? file : null;
    }
}
