using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatAspire.AppHost.Infrastructure;

/// <summary>The data services every ChatAspire service depends on, however they are provided.</summary>
public sealed record ChatInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> ChatDb,
    IResourceBuilder<IResourceWithConnectionString> FilesDb,
    IResourceBuilder<IResourceWithConnectionString> RagDb,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    bool Containers,
    string? DataRoot,
    string FilesStoragePath);

public static class ChatInfrastructureExtensions
{
    /// <summary>Redis persistence in every persistent mode: the append-only file, flushed every second.</summary>
    public const string RedisAppendOnly = "--appendonly yes --appendfsync everysec";

    /// <summary>
    /// Containers in publish mode and when a container runtime is healthy; local server processes otherwise.
    /// </summary>
    public static ChatInfrastructure AddChatInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var options = InfrastructureOptions.From(builder.Configuration);
        var containers = builder.ExecutionContext.IsPublishMode || options.UseContainers(builder.Configuration);
        if (containers)
        {
            return AddContainers(builder, options);
        }
        return OperatingSystem.IsWindows()
            ? throw new PlatformNotSupportedException("Local-process infrastructure needs Linux or macOS; start a container runtime instead.")
            : AddProcesses(builder, options);
    }

    private static ChatInfrastructure AddContainers(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var postgres = builder.AddPostgres(ResourceNames.Postgres);
        var redis = builder.AddRedis(ResourceNames.Redis);
        if (!options.Ephemeral)
        {
            postgres.WithDataVolume();
            // Append-only, as the local process: every write is in the file within a second (what that second could still
            // lose, the outboxes publish again). Aspire's Redis runs `/bin/sh -c "redis-server …"`: extend that one command.
            redis.WithDataVolume().WithArgs(context =>
            {
                var last = context.Args.Count - 1;
                if (last >= 0 && context.Args[last] is string command && command.StartsWith("redis-server", StringComparison.Ordinal))
                {
                    context.Args[last] = $"{command} {RedisAppendOnly}";
                }
            });
        }
        return new ChatInfrastructure(
            postgres.AddDatabase(ResourceNames.ChatDb),
            postgres.AddDatabase(ResourceNames.FilesDb),
            postgres.AddDatabase(ResourceNames.RagDb),
            redis,
            Containers: true,
            DataRoot: null,
            // Publish mode: mount a volume here (docs/deployment.md). Run mode: projects run locally, beside the data folder.
            FilesStoragePath: builder.ExecutionContext.IsPublishMode ? "/data/files"
                : Path.Combine(options.Ephemeral ? Path.Combine(Path.GetTempPath(), $"chataspire-files-{Guid.NewGuid():N}") : options.DataPath, "files"));
    }

    [UnsupportedOSPlatform("windows")]
    private static ChatInfrastructure AddProcesses(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var dataRoot = options.Ephemeral ? CreateEphemeralRoot() : options.DataPath;
        Directory.CreateDirectory(dataRoot);
        var postgres = builder.AddLocalPostgres(ResourceNames.Postgres, dataRoot, [ResourceNames.ChatDb, ResourceNames.FilesDb, ResourceNames.RagDb]);
        var redis = builder.AddLocalRedis(ResourceNames.Redis, dataRoot, persistent: !options.Ephemeral);
        if (options.Ephemeral)
        {
            builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((e, _) =>
            {
                var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
                lifetime.ApplicationStopped.Register(() => TryDelete(dataRoot));
                return Task.CompletedTask;
            });
        }
        return new ChatInfrastructure(
            builder.AddLocalDatabase(postgres, ResourceNames.ChatDb),
            builder.AddLocalDatabase(postgres, ResourceNames.FilesDb),
            builder.AddLocalDatabase(postgres, ResourceNames.RagDb),
            redis,
            Containers: false,
            DataRoot: dataRoot,
            FilesStoragePath: Path.Combine(dataRoot, "files"));
    }

    /// <summary>
    /// A fresh temp folder named after this process. Folders left by AppHosts that died without cleaning up are removed.
    /// </summary>
    [UnsupportedOSPlatform("windows")]
    private static string CreateEphemeralRoot()
    {
        var tmp = Path.GetTempPath();
        foreach (var stale in Directory.EnumerateDirectories(tmp, "chataspire-*"))
        {
            var parts = Path.GetFileName(stale).Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], out var pid) && !ProcessIsAlive(pid))
            {
                TryDelete(stale);
            }
        }
        var root = Path.Combine(tmp, $"chataspire-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        // The postgres user must be able to traverse into it when the AppHost runs as root.
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return root;
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A server may still be shutting down; the next ephemeral start removes it.
        }
    }
}
