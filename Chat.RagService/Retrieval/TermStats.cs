using Chat.RagService.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Retrieval;

/// <summary>Document frequency of one English lexeme over all chunks (for BM25's idf).</summary>
public sealed class LexemeStat
{
    public required string Lexeme { get; init; }
    public long Df { get; set; }
}

/// <summary>The one row of corpus totals: chunk count and total lexemes (for BM25's average length).</summary>
public sealed class CorpusStat
{
    public int Id { get; init; } = 1;
    public long Chunks { get; set; }
    public long Lexemes { get; set; }
}

/// <summary>
/// Keeps the BM25 statistics in step with the chunks, inside the transaction that adds or removes a content's
/// chunks. Lexemes are upserted in sorted order, so concurrent ingestions lock rows in the same order.
/// </summary>
public static class TermStats
{
    /// <summary>Counts the chunks of <paramref name="sha256"/> in (call after inserting them).</summary>
    public static Task AddAsync(RagDbContext db, string sha256, CancellationToken ct) => ApplyAsync(db, sha256, 1, ct);

    /// <summary>Counts the chunks of <paramref name="sha256"/> out (call before deleting them).</summary>
    public static Task RemoveAsync(RagDbContext db, string sha256, CancellationToken ct) => ApplyAsync(db, sha256, -1, ct);

    private static async Task ApplyAsync(RagDbContext db, string sha256, int sign, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO lexeme_stats ("Lexeme", "Df")
            SELECT u.lexeme, {sign} * count(*) FROM chunks c, unnest(c."SearchVector") u WHERE c."Sha256" = {sha256}
            GROUP BY u.lexeme ORDER BY u.lexeme
            ON CONFLICT ("Lexeme") DO UPDATE SET "Df" = lexeme_stats."Df" + excluded."Df"
            """, ct);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE corpus_stats SET
              "Chunks" = "Chunks" + {sign} * (SELECT count(*) FROM chunks WHERE "Sha256" = {sha256}),
              "Lexemes" = "Lexemes" + {sign} * (SELECT coalesce(sum(length("SearchVector")), 0) FROM chunks WHERE "Sha256" = {sha256})
            WHERE "Id" = 1
            """, ct);
        if (sign < 0)
        {
            await db.Database.ExecuteSqlAsync($"""DELETE FROM lexeme_stats WHERE "Df" <= 0""", ct);
        }
    }

    /// <summary>Recomputes everything from the chunks (bulk loads, the migration that introduced BM25).</summary>
    public static async Task RebuildAsync(RagDbContext db, CancellationToken ct)
    {
        await db.Database.ExecuteSqlRawAsync(RebuildSql, ct);
    }

    public const string RebuildSql = """
        DELETE FROM lexeme_stats;
        INSERT INTO lexeme_stats ("Lexeme", "Df") SELECT u.lexeme, count(*) FROM chunks c, unnest(c."SearchVector") u GROUP BY u.lexeme;
        UPDATE corpus_stats SET "Chunks" = (SELECT count(*) FROM chunks), "Lexemes" = (SELECT coalesce(sum(length("SearchVector")), 0) FROM chunks) WHERE "Id" = 1;
        """;
}
