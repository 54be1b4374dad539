using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.RagService.Data.Migrations
{
    /// <inheritdoc />
    public partial class Bm25Stats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "corpus_stats",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    Chunks = table.Column<long>(type: "bigint", nullable: false),
                    Lexemes = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_corpus_stats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "lexeme_stats",
                columns: table => new
                {
                    Lexeme = table.Column<string>(type: "text", nullable: false),
                    Df = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_lexeme_stats", x => x.Lexeme);
                });

            migrationBuilder.InsertData(
                table: "corpus_stats",
                columns: new[] { "Id", "Chunks", "Lexemes" },
                values: new object[] { 1, 0L, 0L });

            // Statistics for chunks stored before BM25 existed.
            migrationBuilder.Sql("""
                DELETE FROM lexeme_stats;
                INSERT INTO lexeme_stats ("Lexeme", "Df") SELECT u.lexeme, count(*) FROM chunks c, unnest(c."SearchVector") u GROUP BY u.lexeme;
                UPDATE corpus_stats SET "Chunks" = (SELECT count(*) FROM chunks), "Lexemes" = (SELECT coalesce(sum(length("SearchVector")), 0) FROM chunks) WHERE "Id" = 1;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "corpus_stats");

            migrationBuilder.DropTable(
                name: "lexeme_stats");
        }
    }
}
