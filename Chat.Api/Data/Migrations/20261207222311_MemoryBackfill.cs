using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class MemoryBackfill : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "MemoryBackfillSeq",
                table: "channels",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
            // Every message written so far predates the team memory's feed: MemoryBackfill hands them to it once.
            migrationBuilder.Sql("""UPDATE channels SET "MemoryBackfillSeq" = "LastSeq";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MemoryBackfillSeq",
                table: "channels");
        }
    }
}
