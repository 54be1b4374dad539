using Chat.Api.Channels;
using Chat.Api.Data;

namespace Chat.Api;

internal static class Extensions
{
    public static void AddChatApi(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ChatDbContext>("chatdb");
        builder.AddServiceRedis("cache");
    }

    public static void MapChatApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapChannelsApi();
    }
}
