using ChatAspire.Rules;
using Chat.Files.Data;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using ChatAspire.ServiceDefaults.Http;
using Chat.Files.Storage;

namespace Chat.Files;

internal static class Extensions
{
    public static void AddFilesService(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<FilesDbContext>(ResourceNames.FilesDb);
        builder.AddServiceRedis(ResourceNames.Redis);
        builder.AddServiceAuthentication();
        builder.AddRequestLimits();

        builder.Services.AddOptions<FilesOptions>().BindConfiguration(FilesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // The upload store's filesystem is reported and watched (DiskSpaceLow), wherever it is mounted.
        builder.Services.AddOptions<ChatAspire.ServiceDefaults.Observability.ObservabilityOptions>()
            .PostConfigure<Microsoft.Extensions.Options.IOptions<FilesOptions>>((observability, files) => observability.DiskPaths.Add(files.Value.StoragePath));
        builder.AddArchiveLimits();
        builder.Services.AddSingleton<FilesTelemetry>();
        builder.Services.AddSingleton<BlobStore>();
        builder.Services.AddSingleton<IFileScanner, NoScanner>();
        builder.Services.AddOutboxPublisher<FilesDbContext>(FileEvents.Stream);
        builder.Services.AddScoped<UploadService>();
        // The web chat (served by Chat.Api) uploads and downloads from the browser.
        builder.AddBrowserOrigins(["GET", "POST", "DELETE"], "Content-Disposition");
        builder.Services.AddOpenApi();
    }

    public static void MapFilesService(this WebApplication app)
    {
        app.UseServiceApi(routes => routes.MapFilesApi());
    }
}
