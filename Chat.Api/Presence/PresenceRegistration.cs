namespace Chat.Api.Presence;

internal static class PresenceRegistration
{
    /// <summary>Who is online, kept in Redis across replicas with a heartbeat.</summary>
    public static IHostApplicationBuilder AddPresence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PresenceTracker>();
        builder.Services.AddHostedService<PresenceHeartbeat>();
        return builder;
    }
}
