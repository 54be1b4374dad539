using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.RagService.Data.Migrations
{
    /// <inheritdoc />
    public partial class DocumentIngestion : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Chunks now belong to content (SHA-256), not to a document. Before this migration nothing but the
            // evaluation tool wrote chunks, so they are dropped rather than converted.
            migrationBuilder.Sql("DELETE FROM chunks;");
            migrationBuilder.Sql("DELETE FROM documents;");

            migrationBuilder.DropForeignKey(
                name: "FK_chunks_documents_DocumentId",
                table: "chunks");

            migrationBuilder.DropIndex(
                name: "IX_chunks_DocumentId_Ordinal",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "DocumentId",
                table: "chunks");

            migrationBuilder.AlterColumn<string>(
                name: "FailureReason",
                table: "documents",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ChunkCount",
                table: "documents",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ContentType",
                table: "documents",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "IndexedAt",
                table: "documents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Model",
                table: "documents",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "OwnerId",
                table: "documents",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.AddColumn<string>(
                name: "Sha256",
                table: "documents",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Sha256",
                table: "chunks",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_documents_OwnerId",
                table: "documents",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_documents_Sha256",
                table: "documents",
                column: "Sha256");

            migrationBuilder.CreateIndex(
                name: "IX_chunks_Sha256_Ordinal",
                table: "chunks",
                columns: new[] { "Sha256", "Ordinal" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_documents_OwnerId",
                table: "documents");

            migrationBuilder.DropIndex(
                name: "IX_documents_Sha256",
                table: "documents");

            migrationBuilder.DropIndex(
                name: "IX_chunks_Sha256_Ordinal",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "ChunkCount",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "ContentType",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "IndexedAt",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "Model",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "OwnerId",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "Sha256",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "Sha256",
                table: "chunks");

            migrationBuilder.AlterColumn<string>(
                name: "FailureReason",
                table: "documents",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(1000)",
                oldMaxLength: 1000,
                oldNullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "DocumentId",
                table: "chunks",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.CreateIndex(
                name: "IX_chunks_DocumentId_Ordinal",
                table: "chunks",
                columns: new[] { "DocumentId", "Ordinal" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_chunks_documents_DocumentId",
                table: "chunks",
                column: "DocumentId",
                principalTable: "documents",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
