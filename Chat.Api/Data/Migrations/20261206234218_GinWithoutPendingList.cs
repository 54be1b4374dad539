using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Chat.Api.Data.Migrations
{
    /// <summary>
    /// The messages table's GIN indexes without a pending list (fastupdate off). ALTER INDEX rather than the drop and
    /// create that EF would generate: it changes a storage parameter in place, instantly, where rebuilding three GIN
    /// indexes would block sends for as long as it took on a large table. Entries already pending stay valid and are
    /// merged by the next vacuum.
    /// </summary>
    public partial class GinWithoutPendingList : Migration
    {
        private static readonly string[] Indexes = ["IX_messages_Attachments", "IX_messages_Mentions", "IX_messages_SearchVector"];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var index in Indexes)
            {
                migrationBuilder.Sql($"""ALTER INDEX "{index}" SET (fastupdate = off);""");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var index in Indexes)
            {
                migrationBuilder.Sql($"""ALTER INDEX "{index}" RESET (fastupdate);""");
            }
        }
    }
}
