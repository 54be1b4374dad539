using Chat.Api.Presence;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Messaging;
using Chat.Api.Ai;
using System.Threading.RateLimiting;
using Chat.Api.Accounts;
using Chat.Api.Attachments;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using Chat.Api.Realtime;
using Chat.Api.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Scalar.AspNetCore;
using StackExchange.Redis;

namespace Chat.Api;

internal static class Extensions
{
    public static void AddChatApi(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ChatDbContext>(ResourceNames.ChatDb);
        builder.AddServiceRedis(ResourceNames.Redis);
        builder.AddServiceAuthentication();

        builder.Services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MessagesOptions>().BindConfiguration(MessagesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Attachments.AttachmentOptions>().BindConfiguration(Attachments.AttachmentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RealtimeOptions>().BindConfiguration(RealtimeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Ai.AiOptions>().BindConfiguration(Ai.AiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChatTelemetry>();
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<RevocationLedger>();
        builder.Services.AddSingleton<ChatAspire.ServiceDefaults.Auth.IRevocationSource>(sp => sp.GetRequiredService<RevocationLedger>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RevocationLedger>());
        builder.Services.AddSingleton<PasswordPolicy>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<SendRateLimiter>();
        builder.Services.AddSingleton<PresenceTracker>();
        builder.Services.AddSingleton<HubSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HubSessions>());
        builder.Services.AddSingleton<ChatNotifier>();
        // Features announce changes through ports of their own; the hub's notifier is the one implementation.
        builder.Services.AddSingleton<IMessageEvents>(sp => sp.GetRequiredService<ChatNotifier>());
        builder.Services.AddSingleton<IChannelEvents>(sp => sp.GetRequiredService<ChatNotifier>());
        builder.Services.AddSingleton<Ai.IAssistantEvents>(sp => sp.GetRequiredService<ChatNotifier>());
        builder.Services.AddSingleton<UserDirectory>();
        builder.Services.AddMemoryCache();
        builder.Services.AddScoped<ChannelAccess>();
        builder.Services.AddSingleton<VisibilityEpoch>();
        builder.Services.AddScoped<MessageService>();
        builder.Services.AddScoped<Mentions>();
        builder.Services.AddSingleton<MessageWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MessageWriter>());
        builder.Services.AddHostedService<PresenceHeartbeat>();
        builder.Services.AddScoped<Ai.AiRequests>();
        builder.Services.AddScoped<IAssistantTrigger>(sp => sp.GetRequiredService<Ai.AiRequests>());
        builder.Services.AddScoped<Ai.AiReplies>();
        builder.Services.AddScoped<IAttachmentPolicy>(sp => sp.GetRequiredService<AttachmentAccess>());
        builder.Services.AddSingleton<Ai.AiStreams>();
        builder.Services.AddHostedService<Ai.AiDeltaRelay>();
        builder.Services.AddHostedService<Ai.DocumentStatusRelay>();
        builder.Services.AddOutboxPublisher<ChatDbContext>(ChatAspire.Contracts.AiJobs.Stream);
        builder.Services.AddExceptionHandler<ChatExceptionHandler>();

        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>().Configure<IOptions<AccountsOptions>>((limiter, accounts) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per client address: slows password guessing across many user names.
            var perMinute = accounts.Value.AuthRequestsPerMinute;
            limiter.AddPolicy(AccountsApi.AuthRateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });

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

        builder.Services.AddScoped<Attachments.AttachmentAccess>();
        builder.Services.AddHostedService<Attachments.FileEventsProjection>();
        builder.Services.AddOpenApi();
    }

    public static void MapChatApi(this WebApplication app)
    {
        app.UseWebClient();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<HubOriginMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapAccountsApi();
        app.MapChannelsApi();
        app.MapMessagesApi();
        app.MapFileAccessApi();
        app.MapAiApi();
        app.MapHub<ChatHub>("/hubs/chat", hub => hub.AllowStatefulReconnects = true);

        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference().AllowAnonymous();
        }
    }
}
