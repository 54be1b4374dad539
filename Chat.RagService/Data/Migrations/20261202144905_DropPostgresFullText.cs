using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;

#nullable disable

namespace Chat.RagService.Data.Migrations
{
    /// <inheritdoc />
    public partial class DropPostgresFullText : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The lexical side is the Lucene index (rebuilt from the chunks' text); Postgres full-text and its BM25
            // statistics were kept up to date on every ingestion but no longer searched.
            migrationBuilder.DropTable(
                name: "corpus_stats");

            migrationBuilder.DropTable(
                name: "lexeme_stats");

            migrationBuilder.DropIndex(
                name: "IX_chunks_SearchVector",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "SearchVector",
                table: "chunks");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<NpgsqlTsVector>(
                name: "SearchVector",
                table: "chunks",
                type: "tsvector",
                nullable: false)
                .Annotation("Npgsql:TsVectorConfig", "english")
                .Annotation("Npgsql:TsVectorProperties", new[] { "Heading", "Text" });

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

            migrationBuilder.CreateIndex(
                name: "IX_chunks_SearchVector",
                table: "chunks",
                column: "SearchVector")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.Sql("""
                INSERT INTO lexeme_stats ("Lexeme", "Df") SELECT u.lexeme, count(*) FROM chunks c, unnest(c."SearchVector") u GROUP BY u.lexeme;
                UPDATE corpus_stats SET "Chunks" = (SELECT count(*) FROM chunks), "Lexemes" = (SELECT coalesce(sum(length("SearchVector")), 0) FROM chunks) WHERE "Id" = 1;
                """);
        }
    }
}
