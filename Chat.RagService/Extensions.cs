using Chat.RagService.Data;
using Chat.RagService.Documents;

namespace Chat.RagService;

internal static class Extensions
{
    public static void AddRagService(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<RagDbContext>("ragdb");
        builder.AddServiceRedis("cache");
        builder.AddServiceAuthentication();
    }

    public static void MapRagService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDocumentsApi();
    }
}
