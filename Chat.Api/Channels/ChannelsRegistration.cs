namespace Chat.Api.Channels;

internal static class ChannelsRegistration
{
    /// <summary>Channels, membership and the one access rule for reading and writing in them.</summary>
    public static IHostApplicationBuilder AddChannels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<ChannelAccess>();
        builder.Services.AddSingleton<VisibilityEpoch>();
        return builder;
    }
}
