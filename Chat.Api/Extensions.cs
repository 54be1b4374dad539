using Chat.Api.Audit;
using Chat.Api.Accounts;
using Chat.Api.Ai;
using Chat.Api.Attachments;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Digest;
using Chat.Api.Export;
using Chat.Api.Messages;
using Chat.Api.Presence;
using Chat.Api.Realtime;
using Chat.Api.Retention;
using Chat.Api.Search;
using Chat.Api.Web;
using Chat.Api.Webhooks;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Http;
using Scalar.AspNetCore;

namespace Chat.Api;

internal static class Extensions
{
    public static void AddChatApi(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ChatDbContext>(ResourceNames.ChatDb);
        builder.AddServiceRedis(ResourceNames.Redis);
        builder.AddServiceAuthentication();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChatTelemetry>();
        builder.Services.AddMemoryCache();
        builder.Services.AddExceptionHandler<ChatExceptionHandler>();
        builder.AddRequestLimits();
        builder.Services.AddOpenApi();

        builder.AddAccounts();
        builder.AddChannels();
        builder.AddMessages();
        builder.AddAttachments();
        builder.AddAssistant();
        builder.AddPresence();
        builder.AddWebhooks();
        builder.AddAudit();
        builder.AddExport();
        builder.AddRetention();
        builder.AddDigest();
        builder.AddRealtime();
    }

    public static void MapChatApi(this WebApplication app)
    {
        app.UseWebClient();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<HubOriginMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestLimits();

        app.MapAccountsApi();
        app.MapChannelsApi();
        app.MapMessagesApi();
        app.MapFileAccessApi();
        app.MapAiApi();
        app.MapWebhooksApi();
        app.MapOutgoingWebhooksApi();
        app.MapAuditApi();
        app.MapBotsApi();
        app.MapExportApi();
        app.MapRetentionApi();
        app.MapSearchApi();
        app.MapCatchUpApi();
        app.MapHub<ChatHub>("/hubs/chat", hub => hub.AllowStatefulReconnects = true);

        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference().AllowAnonymous();
        }
    }
}
