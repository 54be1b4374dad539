using Chat.RagService.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Documents;

internal static class DocumentsApi
{
    public static IEndpointRouteBuilder MapDocumentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/rag/documents").WithTags("Documents");
        group.MapGet("/{id:guid}", GetStatus).WithName("GetDocumentStatus").WithSummary("Ingestion status of one document.");
        return app;
    }

    private static async Task<Results<Ok<DocumentStatusDto>, NotFound>> GetStatus(Guid id, RagDbContext db, CancellationToken ct) =>
        await db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct) is { } d
            ? TypedResults.Ok(new DocumentStatusDto(d.Id, d.FileId, d.Name, d.Status.ToString().ToLowerInvariant(), d.FailureReason))
            : TypedResults.NotFound();
}
