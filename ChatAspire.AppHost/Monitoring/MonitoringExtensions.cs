using System.Runtime.Versioning;
using ChatAspire.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.AppHost.Monitoring;

/// <summary>
/// Prometheus (scraping every replica of every service and evaluating <c>monitoring/alert_rules.yml</c>) and,
/// where containers run, Grafana with the dashboard provisioned. <c>ChatAspire:Monitoring=false</c> turns both off.
/// </summary>
public static class MonitoringExtensions
{
    public const string PrometheusName = "prometheus";
    public const string GrafanaName = "grafana";

    public static void AddChatMonitoring(this IDistributedApplicationBuilder builder, ChatInfrastructure infra)
    {
        var section = builder.Configuration.GetSection("ChatAspire:Monitoring");
        if (!section.GetValue("Enabled", true))
        {
            return;
        }
        var monitoringDir = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "monitoring"));
        var rulesFile = section["RulesFile"] is { Length: > 0 } rules ? Path.GetFullPath(rules) : Path.Combine(monitoringDir, "alert_rules.yml");
        var scrapeInterval = section["ScrapeInterval"] is { Length: > 0 } interval ? interval : "15s";

        if (builder.ExecutionContext.IsPublishMode)
        {
            builder.AddContainer(PrometheusName, "prom/prometheus", "v2.53.2")
                .WithBindMount(monitoringDir, "/etc/prometheus", isReadOnly: true)
                .WithArgs("--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--enable-feature=exemplar-storage")
                .WithVolume("prometheus-data", "/prometheus")
                .WithHttpEndpoint(targetPort: 9090);
            AddGrafana(builder, monitoringDir, prometheusUrl: "http://prometheus:9090");
            return;
        }

        // In run mode Prometheus is the local binary even beside containers: it reaches every replica on localhost.
        if (LocalPrometheus.FindBinary() is not { } binary || OperatingSystem.IsWindows())
        {
            return; // prometheus not installed: scripts/install-deps.sh installs it
        }
        var dataRoot = infra.DataRoot ?? InfrastructureOptions.From(builder.Configuration).DataPath;
        AddLocalPrometheus(builder, binary, dataRoot, rulesFile, scrapeInterval, section.GetValue<int?>("Port") ?? 9090,
            section.GetValue("EnableLifecycleApi", false));
        if (infra.Containers)
        {
            AddGrafana(builder, monitoringDir, prometheusUrl: "http://host.docker.internal:9090");
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static void AddLocalPrometheus(IDistributedApplicationBuilder builder, string binary, string dataRoot, string rulesFile, string scrapeInterval, int port,
        bool enableLifecycleApi)
    {
        var dir = Path.Combine(dataRoot, "prometheus");
        var configFile = Path.Combine(dir, "prometheus.yml");
        var targetsFile = Path.Combine(dir, "targets.json");
        builder.Services.AddSingleton(new PrometheusTargetsWriter.Settings(targetsFile, ResourceNames.Services));
        builder.Services.AddHostedService<PrometheusTargetsWriter>();

        builder.AddExecutable(PrometheusName, binary, dir)
            .WithHttpEndpoint(port: port == 0 ? null : port, isProxied: false, name: "http")
            .WithArgs(context =>
            {
                var endpoint = ((IResourceWithEndpoints)context.Resource).GetEndpoint("http");
                context.Args.Add($"--config.file={configFile}");
                context.Args.Add($"--storage.tsdb.path={Path.Combine(dir, "data")}");
                context.Args.Add("--enable-feature=exemplar-storage"); // trace ids of slow requests, linked from the latency panels
                // /-/reload and /-/quit answer anyone who reaches the port: only when asked for (ChatAspire:Monitoring:EnableLifecycleApi).
                if (enableLifecycleApi)
                {
                    context.Args.Add("--web.enable-lifecycle");
                }
                context.Args.Add(ReferenceExpression.Create($"--web.listen-address=127.0.0.1:{endpoint.Property(EndpointProperty.TargetPort)}"));
            })
            .OnBeforeResourceStarted(async (_, _, ct) =>
            {
                Directory.CreateDirectory(dir);
                await File.WriteAllTextAsync(configFile, LocalPrometheus.Config(rulesFile, targetsFile, scrapeInterval), ct);
                if (!File.Exists(targetsFile))
                {
                    await File.WriteAllTextAsync(targetsFile, "[]", ct);
                }
            })
            .WithHttpHealthCheck("/-/ready");
    }

    /// <summary>
    /// Where Grafana opens a trace: ChatAspire:Monitoring:TracesUrl, else this AppHost's own dashboard (its first URL,
    /// http://localhost:15080 with the repository's launch profile).
    /// </summary>
    public static string TracesUrl(IConfiguration configuration) =>
        configuration["ChatAspire:Monitoring:TracesUrl"] is { Length: > 0 } traces ? traces
        : configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { Length: > 0 } dashboard
            ? dashboard.TrimEnd('/')
            : "http://localhost:15080";

    private static void AddGrafana(IDistributedApplicationBuilder builder, string monitoringDir, string prometheusUrl) =>
        builder.AddContainer(GrafanaName, "grafana/grafana", "11.2.0")
            .WithBindMount(Path.Combine(monitoringDir, "grafana", "provisioning"), "/etc/grafana/provisioning", isReadOnly: true)
            .WithBindMount(Path.Combine(monitoringDir, "dashboards"), "/var/lib/grafana/dashboards", isReadOnly: true)
            .WithEnvironment("PROMETHEUS_URL", prometheusUrl)
            // Where an exemplar's trace id opens: the Aspire dashboard (ChatAspire:Monitoring:TracesUrl for another tracing UI).
            .WithEnvironment("TRACES_URL", TracesUrl(builder.Configuration))
            .WithHttpEndpoint(targetPort: 3000);
}
