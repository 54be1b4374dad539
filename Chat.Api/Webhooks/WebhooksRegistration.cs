namespace Chat.Api.Webhooks;

internal static class WebhooksRegistration
{
    /// <summary>
    /// Incoming webhooks (integrations posting into a channel through a secret URL) and outgoing ones (a channel's
    /// messages with a trigger word POSTed to a tool, signed, delivered from Postgres with retries).
    /// </summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<IncomingWebhookService>();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<OutgoingWebhookService>();
        builder.Services.AddHostedService<OutgoingWebhookDispatcher>();
        // Its own client: no service discovery or retries of the defaults (the dispatcher retries from Postgres), and every
        // connection checked against private addresses (NetworkGuard).
#pragma warning disable EXTEXP0001 // experimental, and the documented way to take the defaults' retries off one client
        builder.Services.AddHttpClient(OutgoingWebhookDispatcher.HttpClientName)
            .RemoveAllResilienceHandlers()
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<WebhookOptions>>();
                return new SocketsHttpHandler
                {
                    ConnectCallback = NetworkGuard.Connect(() => options.CurrentValue.AllowPrivateNetworks),
                    AllowAutoRedirect = false, // a redirect could lead anywhere
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                };
            });
#pragma warning restore EXTEXP0001
        return builder;
    }
}
