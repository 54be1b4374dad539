
namespace Chat.Api.Export;

internal static class ExportRegistration
{
    /// <summary>A channel's history as a zip, with its attachments read from Chat.Files.</summary>
    public static IHostApplicationBuilder AddExport(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<ChannelExporter>();
        return builder;
    }
}
