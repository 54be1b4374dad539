using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.RagService.Data.Migrations
{
    /// <inheritdoc />
    public partial class TeamMemory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "memory_chunks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    MessageId = table.Column<Guid>(type: "uuid", nullable: false),
                    Ordinal = table.Column<int>(type: "integer", nullable: false),
                    Text = table.Column<string>(type: "text", nullable: false),
                    Embedding = table.Column<float[]>(type: "real[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_memory_chunks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "memory_messages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ChannelId = table.Column<Guid>(type: "uuid", nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    SenderId = table.Column<Guid>(type: "uuid", nullable: false),
                    SenderName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    ReplyToId = table.Column<Guid>(type: "uuid", nullable: true),
                    Text = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ChangedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Removed = table.Column<bool>(type: "boolean", nullable: false),
                    Revision = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_memory_messages", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_memory_chunks_MessageId_Ordinal",
                table: "memory_chunks",
                columns: new[] { "MessageId", "Ordinal" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_memory_messages_ChannelId_Seq",
                table: "memory_messages",
                columns: new[] { "ChannelId", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_memory_messages_Revision",
                table: "memory_messages",
                column: "Revision",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "memory_chunks");

            migrationBuilder.DropTable(
                name: "memory_messages");
        }
    }
}
