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
        // Anonymous at the door so a download grant alone (no access token) is enough; VisibleAsync decides.
        group.MapGet("/{id:guid}", GetMetadata).AllowAnonymous().WithName("GetFileMetadata")
            .WithSummary("Metadata of a file I uploaded, or of any file with a download grant from Chat.Api (query `grant`).");
        group.MapGet("/{id:guid}/content", Download).AllowAnonymous().WithName("DownloadFile")
            .WithSummary("The file's bytes: for its uploader, or with a download grant from Chat.Api (query `grant`).");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteFile").WithSummary("Delete a file I uploaded (services: any file, for retention).");
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
        return status == StatusCodes.Status400BadRequest
            ? TypedResults.Problem(ChatAspire.ServiceDefaults.Http.Problems.InvalidDetails("file", result.Detail!))
            : TypedResults.Problem(result.Detail, statusCode: status);
    }

    private static async Task<Ok<FileMetadata[]>> ListMine(ClaimsPrincipal user, FilesDbContext db, CancellationToken ct)
    {
        var me = user.UserId();
        var files = await db.Files.AsNoTracking().Where(f => f.OwnerId == me).OrderByDescending(f => f.CreatedAt).Take(200).ToArrayAsync(ct);
        return TypedResults.Ok(files.Select(FileMetadata.From).ToArray());
    }

    private static async Task<Results<Ok<FileMetadata>, NotFound, UnauthorizedHttpResult>> GetMetadata(Guid id, string? grant, HttpContext context,
        FilesDbContext db, FileGrants grants, CancellationToken ct) =>
        await VisibleAsync(id, grant, context.User, db, grants, ct) switch
        {
            { IsAnonymous: true } => TypedResults.Unauthorized(),
            { File: { } file } => TypedResults.Ok(FileMetadata.From(file)),
            _ => TypedResults.NotFound(),
        };

    private static async Task<Results<FileStreamHttpResult, NotFound, UnauthorizedHttpResult>> Download(Guid id, string? grant, HttpContext context,
        FilesDbContext db, FileGrants grants, BlobStore blobs, CancellationToken ct)
    {
        var visibility = await VisibleAsync(id, grant, context.User, db, grants, ct);
        if (visibility.File is not { } file)
        {
            return visibility.IsAnonymous ? TypedResults.Unauthorized() : TypedResults.NotFound();
        }
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        var disposition = new ContentDispositionHeaderValue(ContentTypes.IsImage(file.ContentType) ? "inline" : "attachment");
        disposition.SetHttpFileName(file.Name); // RFC 6266: ASCII filename= plus UTF-8 filename*=
        context.Response.Headers.ContentDisposition = disposition.ToString();
        return TypedResults.Stream(blobs.Open(file.Sha256), file.ContentType, fileDownloadName: null, enableRangeProcessing: true);
    }

    private static async Task<Results<NoContent, NotFound>> Delete(Guid id, ClaimsPrincipal user, UploadService uploads, CancellationToken ct) =>
        await uploads.DeleteAsync(id, user.IsService() ? null : user.UserId(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>The outcome of a read: the file, or why not (no credentials at all get 401, the rest 404 so existence does not leak).</summary>
    private readonly record struct Visibility(StoredFile? File, bool IsAnonymous = false)
    {
        public static Visibility Anonymous => new(null, IsAnonymous: true);
        public static Visibility Hidden => new(null);
    }

    /// <summary>
    /// Who sees a file is <see cref="FileGrants.MaySeeAsync"/>'s rule (the uploader, services, a grant from Chat.Api, which
    /// alone decides who may see a file); grants are verified here with the shared key: no call.
    /// </summary>
    private static async Task<Visibility> VisibleAsync(Guid id, string? grant, ClaimsPrincipal user, FilesDbContext db, FileGrants grants, CancellationToken ct)
    {
        var authenticated = user.Identity?.IsAuthenticated == true;
        if (!authenticated && string.IsNullOrEmpty(grant))
        {
            return Visibility.Anonymous;
        }
        if (await db.Files.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct) is not { } file)
        {
            return Visibility.Hidden;
        }
        return await grants.MaySeeAsync(user, file.OwnerId, id, grant) ? new(file) : Visibility.Hidden;
    }
}
