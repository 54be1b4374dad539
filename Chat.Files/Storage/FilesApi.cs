using Chat.Files.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Files.Storage;

internal static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/files").WithTags("Files");
        group.MapGet("/{id:guid}", GetMetadata).WithName("GetFileMetadata").WithSummary("Metadata of one file.");
        return app;
    }

    private static async Task<Results<Ok<FileMetadata>, NotFound>> GetMetadata(Guid id, FilesDbContext db, CancellationToken ct) =>
        await db.Files.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct) is { } file
            ? TypedResults.Ok(FileMetadata.From(file))
            : TypedResults.NotFound();
}
