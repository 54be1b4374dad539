using Chat.Api.Messages;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;

namespace Chat.Api.Attachments;

internal static class AttachmentsRegistration
{
    /// <summary>Files as this service knows them (from files:events), who may see them, their download grants, and the client for Chat.Files.</summary>
    public static IHostApplicationBuilder AddAttachments(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AttachmentOptions>().BindConfiguration(AttachmentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AttachmentAccess>();
        builder.Services.AddScoped<IAttachmentPolicy>(sp => sp.GetRequiredService<AttachmentAccess>());
        builder.Services.AddHostedService<FileEventsProjection>();
        builder.AddServiceClient<FilesClient>(ResourceNames.Files, ResourceNames.Api);
        return builder;
    }
}
