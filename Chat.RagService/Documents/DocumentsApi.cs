using System.Security.Claims;
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
        group.MapGet("/by-file/{fileId:guid}", GetStatusByFile).WithName("GetDocumentStatusByFile")
            .WithSummary("Ingestion status of the document made from a file: for its uploader, or with a download grant from Chat.Api (query `grant`).");
        return app;
    }

    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatus(Guid id, string? grant, ClaimsPrincipal user, RagDbContext db, FileGrants grants, CancellationToken ct) =>
        VisibleAsync(db.Documents.Where(d => d.Id == id), grant, user, grants, ct);

    private static Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatusByFile(Guid fileId, string? grant, ClaimsPrincipal user, RagDbContext db, FileGrants grants, CancellationToken ct) =>
        VisibleAsync(db.Documents.Where(d => d.FileId == fileId), grant, user, grants, ct);

    /// <summary>Visible to the uploader, services, and holders of a download grant for the file (Chat.Api issues them); 404 for anyone else.</summary>
    private static async Task<Results<Ok<DocumentStatusDto>, NotFound>> VisibleAsync(IQueryable<Document> query, string? grant, ClaimsPrincipal user, FileGrants grants, CancellationToken ct)
    {
        if (await query.AsNoTracking().FirstOrDefaultAsync(ct) is not { } d)
        {
            return TypedResults.NotFound();
        }
        var visible = d.OwnerId == user.UserId() || user.IsService() || await grants.AllowsAsync(grant, d.FileId);
        return visible ? TypedResults.Ok(DocumentStatusDto.From(d)) : TypedResults.NotFound();
    }
}
