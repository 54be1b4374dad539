namespace Chat.AiWorker;

internal static class Extensions
{
    public static void AddAiWorker(this IHostApplicationBuilder builder)
    {
        builder.AddServiceRedis("cache");
    }
}
