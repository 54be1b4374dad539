using Chat.Api.Messages;

namespace Chat.Api.Attachments;

internal static class AttachmentsRegistration
{
    /// <summary>Files as this service knows them (from files:events), who may see them, and their download grants.</summary>
    public static IHostApplicationBuilder AddAttachments(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AttachmentOptions>().BindConfiguration(AttachmentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AttachmentAccess>();
        builder.Services.AddScoped<IAttachmentPolicy>(sp => sp.GetRequiredService<AttachmentAccess>());
        builder.Services.AddHostedService<FileEventsProjection>();
        return builder;
    }
}
