using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class AttachmentIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_messages_Attachments",
                table: "messages",
                column: "Attachments")
                .Annotation("Npgsql:IndexMethod", "GIN");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_messages_Attachments",
                table: "messages");
        }
    }
}
