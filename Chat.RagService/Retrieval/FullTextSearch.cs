using Chat.RagService.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Retrieval;

public sealed record TextHit(Guid ChunkId, string Sha256, float Score);

/// <summary>
/// Postgres full-text search ranked by BM25 (k1 = 0.9, b = 0.4, as Anserini's BEIR baseline): candidates are the
/// chunks whose English <c>tsvector</c> holds a query lexeme that is not very common (GIN index); term frequencies come from the
/// <c>tsvector</c> positions, document frequencies and the average length from <see cref="TermStats"/>.
/// Lengths are distinct lexemes per chunk (what a <c>tsvector</c> knows).
/// </summary>
public static class FullTextSearch
{
    public static Task<IReadOnlyList<TextHit>> SearchAsync(RagDbContext db, string query, int limit, CancellationToken ct) =>
        SearchAsync(db, query, limit, null, ct);

    /// <summary>Restricted to the given contents (those of documents the caller may read) unless <paramref name="contents"/> is null.</summary>
    public static async Task<IReadOnlyList<TextHit>> SearchAsync(RagDbContext db, string query, int limit, string[]? contents, CancellationToken ct) =>
        await db.Database.SqlQuery<TextHit>($"""
            WITH q AS (SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('english', {query})) u),
                 s AS (SELECT greatest("Chunks", 1)::float8 AS n, greatest("Lexemes", 1)::float8 / greatest("Chunks", 1) AS avgdl FROM corpus_stats WHERE "Id" = 1),
                 w AS (SELECT l."Lexeme" AS lexeme, l."Df" AS df, ln(1 + (s.n - l."Df" + 0.5) / (l."Df" + 0.5)) AS idf FROM lexeme_stats l JOIN q ON q.lexeme = l."Lexeme" CROSS JOIN s),
                 -- Candidates: chunks with a query lexeme found in at most a tenth of the corpus (when there is one).
                 -- Very common lexemes still score, but alone they do not make a chunk a candidate: they add little
                 -- and would make nearly every chunk one.
                 candidates AS (
                   SELECT coalesce(
                     (SELECT string_agg(quote_literal(w.lexeme), ' | ')::tsquery FROM w CROSS JOIN s WHERE w.df <= s.n / 10),
                     (SELECT string_agg(quote_literal(w.lexeme), ' | ')::tsquery FROM w),
                     ''::tsquery) AS cq)
            SELECT c."Id" AS "ChunkId", c."Sha256", sum(w.idf * t.tf * 1.9 / (t.tf + 0.9 * (0.6 + 0.4 * length(c."SearchVector") / s.avgdl)))::real AS "Score"
            FROM chunks c
            CROSS JOIN s
            CROSS JOIN LATERAL (SELECT u.lexeme, coalesce(array_length(u.positions, 1), 1) AS tf FROM unnest(c."SearchVector") u) t
            JOIN w ON w.lexeme = t.lexeme
            WHERE c."SearchVector" @@ (SELECT cq FROM candidates)
              AND ({contents}::text[] IS NULL OR c."Sha256" = ANY({contents}::text[]))
            GROUP BY c."Id", c."Sha256"
            ORDER BY "Score" DESC
            LIMIT {limit}
            """).ToListAsync(ct);
}
