using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace ChatAspire.AppHost.Infrastructure;

public enum InfrastructureMode { Auto, Process, Container }

/// <summary>
/// How the AppHost provides Postgres and Redis. Read from the <c>ChatAspire</c> configuration section
/// (command line <c>--ChatAspire:Infrastructure=process</c> or env <c>ChatAspire__Infrastructure</c>).
/// </summary>
public sealed record InfrastructureOptions(InfrastructureMode Mode, bool Ephemeral, string DataPath)
{
    public static InfrastructureOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("ChatAspire");
        var mode = Enum.TryParse<InfrastructureMode>(section["Infrastructure"], ignoreCase: true, out var m) ? m : InfrastructureMode.Auto;
        var ephemeral = bool.TryParse(section["Ephemeral"], out var e) && e;
        var dataPath = section["DataPath"] is { Length: > 0 } configured ? Path.GetFullPath(configured) : DefaultDataPath();
        return new InfrastructureOptions(mode, ephemeral, dataPath);
    }

    /// <summary>Root keeps its data in /var/lib (the postgres user cannot traverse /root); everyone else in XDG data home.</summary>
    public static string DefaultDataPath()
    {
        if (Environment.UserName == "root")
        {
            return "/var/lib/chataspire";
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "chataspire");
    }

    /// <summary>True when containers should be used in run mode: forced, or auto with a healthy runtime.</summary>
    public bool UseContainers(IConfiguration configuration) => Mode switch
    {
        InfrastructureMode.Container => true,
        InfrastructureMode.Process => false,
        _ => ContainerRuntimeIsHealthy(configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker"),
    };

    // The same probe DCP uses: a runtime whose CLI exists but whose daemon is down fails this.
    private static bool ContainerRuntimeIsHealthy(string runtime)
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(runtime, "container ls -n 1")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (probe is null)
            {
                return false;
            }
            if (!probe.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                probe.Kill(entireProcessTree: true);
                return false;
            }
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // CLI not installed
        }
    }
}
