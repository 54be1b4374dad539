using Chat.Api.Channels;
using Chat.Api.Messages;
using ChatAspire.Contracts;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using StackExchange.Redis;

namespace Chat.Api.Realtime;

internal static class RealtimeRegistration
{
    /// <summary>The SignalR hub with its Redis backplane, sessions, and the notifier that implements every feature's event port.</summary>
    public static IHostApplicationBuilder AddRealtime(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RealtimeOptions>().BindConfiguration(RealtimeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HubSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HubSessions>());
        builder.Services.AddSingleton<ChatNotifier>();
        // Features announce changes through ports of their own; the hub's notifier is the one implementation.
        builder.Services.AddSingleton<IMessageEvents>(sp => sp.GetRequiredService<ChatNotifier>());
        builder.Services.AddSingleton<IChannelEvents>(sp => sp.GetRequiredService<ChatNotifier>());
        builder.Services.AddSingleton<Ai.IAssistantEvents>(sp => sp.GetRequiredService<ChatNotifier>());

        builder.Logging.AddFilter(ChatHubFilter.DispatcherLogCategory, LogLevel.Critical);
        builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
        builder.Services.AddSignalR(hub =>
        {
            hub.AddFilter<ChatHubFilter>();
            hub.MaximumReceiveMessageSize = 64 * 1024;
        }).AddStackExchangeRedis();
        // The backplane keeps a connection of its own to the same Redis: it must outlive the shared one at shutdown.
        builder.Services.AddOptions<RedisOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.Configuration = ConfigurationOptions.Parse(configuration.GetConnectionString(ResourceNames.Redis)
                ?? throw new InvalidOperationException($"Connection string '{ResourceNames.Redis}' is missing."));
            DataExtensions.ConfigureRedis(options.Configuration);
            options.Configuration.ChannelPrefix = RedisChannel.Literal("chataspire");
        });
        return builder;
    }
}
