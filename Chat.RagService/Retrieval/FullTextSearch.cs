using Chat.RagService.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Retrieval;

public sealed record TextHit(Guid ChunkId, string Sha256, float Score);

/// <summary>
/// Postgres full-text search over chunks: the query's English lexemes OR-ed together (a claim is a sentence, and
/// requiring every word would find almost nothing), ranked by <c>ts_rank_cd</c> normalised by document length.
/// </summary>
public static class FullTextSearch
{
    public static async Task<IReadOnlyList<TextHit>> SearchAsync(RagDbContext db, string query, int limit, CancellationToken ct) =>
        await db.Database.SqlQuery<TextHit>($"""
            SELECT c."Id" AS "ChunkId", c."Sha256", ts_rank_cd(c."SearchVector", q, 1)::real AS "Score"
            FROM chunks c, to_tsquery('english', replace(plainto_tsquery('english', {query})::text, ' & ', ' | ')) q
            WHERE c."SearchVector" @@ q
            ORDER BY "Score" DESC
            LIMIT {limit}
            """).ToListAsync(ct);

    /// <summary>The same, restricted to the given contents (those of documents the caller may read).</summary>
    public static async Task<IReadOnlyList<TextHit>> SearchAsync(RagDbContext db, string query, int limit, string[] contents, CancellationToken ct) =>
        await db.Database.SqlQuery<TextHit>($"""
            SELECT c."Id" AS "ChunkId", c."Sha256", ts_rank_cd(c."SearchVector", q, 1)::real AS "Score"
            FROM chunks c, to_tsquery('english', replace(plainto_tsquery('english', {query})::text, ' & ', ' | ')) q
            WHERE c."SearchVector" @@ q AND c."Sha256" = ANY({contents})
            ORDER BY "Score" DESC
            LIMIT {limit}
            """).ToListAsync(ct);
}
