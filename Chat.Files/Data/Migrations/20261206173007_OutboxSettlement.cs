using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Files.Data.Migrations
{
    /// <inheritdoc />
    public partial class OutboxSettlement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "EntryId",
                table: "outbox",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "SettledAt",
                table: "outbox",
                type: "timestamp with time zone",
                nullable: true);

            // Rows published before settlement existed have no entry id to check: count them as handled.
            migrationBuilder.Sql("UPDATE outbox SET \"SettledAt\" = \"PublishedAt\" WHERE \"PublishedAt\" IS NOT NULL;");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_PublishedAt",
                table: "outbox",
                column: "PublishedAt",
                filter: "\"PublishedAt\" IS NOT NULL AND \"SettledAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_PublishedAt",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "EntryId",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "SettledAt",
                table: "outbox");
        }
    }
}
