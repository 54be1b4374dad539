using Chat.RagService.Access;
using Chat.RagService.Data;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Documents;

internal static class DocumentsApi
{
    public static IEndpointRouteBuilder MapDocumentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/rag/documents").WithTags("Documents");
        group.MapGet("/{id:guid}", GetStatus).WithName("GetDocumentStatus").WithSummary("Ingestion status of one document.");
        group.MapGet("/by-file/{fileId:guid}", GetStatusByFile).WithName("GetDocumentStatusByFile").WithSummary("Ingestion status of the document made from a file.");
        return app;
    }

    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatus(Guid id, HttpContext context, RagDbContext db, ReadableFiles readable, CancellationToken ct) =>
        VisibleAsync(db.Documents.Where(d => d.Id == id), context, readable, ct);

    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatusByFile(Guid fileId, HttpContext context, RagDbContext db, ReadableFiles readable, CancellationToken ct) =>
        VisibleAsync(db.Documents.Where(d => d.FileId == fileId), context, readable, ct);

    /// <summary>Visible to the uploader, services, and whoever Chat.Api says may see the file; 404 for anyone else.</summary>
    private static async Task<Results<Ok<DocumentStatusDto>, NotFound>> VisibleAsync(IQueryable<Document> query, HttpContext context, ReadableFiles readable, CancellationToken ct)
    {
        if (await query.AsNoTracking().FirstOrDefaultAsync(ct) is not { } d)
        {
            return TypedResults.NotFound();
        }
        var user = context.User;
        var visible = d.OwnerId == user.UserId() || user.IsService() || await readable.MaySeeAsync(d.FileId, ChatAspire.ServiceDefaults.Auth.BearerToken.From(context), ct);
        return visible ? TypedResults.Ok(DocumentStatusDto.From(d)) : TypedResults.NotFound();
    }
}
