using ChatAspire.ServiceDefaults.Http;
using System.Security.Claims;
using Chat.RagService.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ChatAspire.Rules;

namespace Chat.RagService.Documents;

internal static class DocumentsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapDocumentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/rag/documents").WithTags("Documents");
        group.MapGet("/", Mine).WithName("ListMyDocuments")
            .WithSummary("My documents with their status, oldest first, paged: `?status=queued|extracting|embedding|ready|failed&after={next}&limit=` (limit ≤ 500).");
        group.MapPost("/status", Bulk).WithName("GetDocumentStatuses")
            .WithSummary("Status of many of my documents at once by file id (services: any); unknown or foreign ids are left out.");
        group.MapGet("/{id:guid}", GetStatus).WithName("GetDocumentStatus").WithSummary("Ingestion status of one document.");
        group.MapGet("/by-file/{fileId:guid}", GetStatusByFile).WithName("GetDocumentStatusByFile")
            .WithSummary("Ingestion status of the document made from a file, `queued` from the moment Chat.Files accepted it: for its uploader, " +
                "or with a download grant from Chat.Api (query `grant`).");
        return app;
    }

    private static async Task<Results<Ok<DocumentPage>, ValidationProblem>> Mine(string? status, Guid? after, int? limit, ClaimsPrincipal user,
        RagDbContext db, CancellationToken ct)
    {
        DocumentStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<DocumentStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["status"] = ["queued, extracting, embedding, ready or failed."] });
            }
            wanted = parsed;
        }
        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["limit"] = [$"1 to {MaxPageSize}."] });
        }
        var take = limit ?? 100;
        var me = user.UserId();
        // Keyset paging in Postgres' uuid order (ids are time-ordered v7, so roughly upload order).
        var query = (after is { } a ? db.Documents.FromSql($"""SELECT * FROM documents WHERE "Id" > {a}""") : db.Documents)
            .AsNoTracking().Where(d => d.OwnerId == me);
        if (wanted is { } w)
        {
            query = query.Where(d => d.Status == w);
        }
        var page = await query.OrderBy(d => d.Id).Take(take + 1).ToListAsync(ct);
        var next = page.Count > take ? page[take - 1].Id : (Guid?)null;
        return TypedResults.Ok(new DocumentPage([.. page.Take(take).Select(DocumentStatusDto.From)], next));
    }

    private static async Task<Results<Ok<BulkStatusResponse>, ValidationProblem>> Bulk(BulkStatusRequest request, ClaimsPrincipal user, RagDbContext db,
        IOptions<DocumentsOptions> options, CancellationToken ct)
    {
        var max = options.Value.MaxBulkFiles;
        if (request.FileIds is null or { Count: 0 } || request.FileIds.Count > max)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["fileIds"] = [$"1 to {max} file ids."] });
        }
        var ids = request.FileIds.Distinct().ToArray();
        var query = db.Documents.AsNoTracking().Where(d => ids.Contains(d.FileId));
        if (!user.IsService())
        {
            var me = user.UserId();
            query = query.Where(d => d.OwnerId == me);
        }
        return TypedResults.Ok(new BulkStatusResponse([.. (await query.ToListAsync(ct)).Select(DocumentStatusDto.From)]));
    }

    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatus(Guid id, string? grant, ClaimsPrincipal user, RagDbContext db, FileGrants grants, CancellationToken ct) =>
        VisibleAsync(token => db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, token), TimeSpan.Zero, grant, user, grants, TimeProvider.System, ct);

    /// <summary>A file uploaded a moment ago may not be known yet (its event is on the way): wait a little before saying 404.</summary>
    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatusByFile(Guid fileId, string? grant, ClaimsPrincipal user, RagDbContext db, FileGrants grants,
        IOptions<DocumentsOptions> options, TimeProvider clock, CancellationToken ct) =>
        VisibleAsync(token => db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.FileId == fileId, token), options.Value.NewFileWait, grant, user, grants, clock, ct);

    /// <summary>Visible as its file is (<see cref="FileGrants.MaySeeAsync"/>); 404 for anyone else.</summary>
    private static async Task<Results<Ok<DocumentStatusDto>, NotFound>> VisibleAsync(Func<CancellationToken, Task<Document?>> find, TimeSpan wait, string? grant,
        ClaimsPrincipal user, FileGrants grants, TimeProvider clock, CancellationToken ct)
    {
        if (await NewFiles.WaitAsync(find, found => found is not null, wait, clock, ct) is not { } d)
        {
            return TypedResults.NotFound();
        }
        return await grants.MaySeeAsync(user, d.OwnerId, d.FileId, grant) ? TypedResults.Ok(DocumentStatusDto.From(d)) : TypedResults.NotFound();
    }
}
