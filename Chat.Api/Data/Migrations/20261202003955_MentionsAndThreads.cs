using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class MentionsAndThreads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<Guid>>(
                name: "Mentions",
                table: "messages",
                type: "uuid[]",
                nullable: false,
                defaultValueSql: "'{}'"); // messages stored before mentions existed mention nobody

            migrationBuilder.CreateIndex(
                name: "IX_messages_Mentions",
                table: "messages",
                column: "Mentions")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "IX_messages_ReplyToId",
                table: "messages",
                column: "ReplyToId",
                filter: "\"ReplyToId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_messages_Mentions",
                table: "messages");

            migrationBuilder.DropIndex(
                name: "IX_messages_ReplyToId",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "Mentions",
                table: "messages");
        }
    }
}
