using Chat.Files.Data;
using Chat.Files.Storage;

namespace Chat.Files;

internal static class Extensions
{
    public static void AddFilesService(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<FilesDbContext>("filesdb");
        builder.AddServiceRedis("cache");
        builder.AddServiceAuthentication();
    }

    public static void MapFilesService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapFilesApi();
    }
}
