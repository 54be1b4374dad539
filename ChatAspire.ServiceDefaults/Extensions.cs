using Microsoft.Extensions.Configuration;
using ChatAspire.ServiceDefaults.Health;
using ChatAspire.ServiceDefaults.Logging;
using ChatAspire.ServiceDefaults.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every ChatAspire service shares: OpenTelemetry traces, metrics and logs, Prometheus <c>/metrics</c>,
/// health endpoints, JSON logs, service discovery and resilient HTTP clients.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Prefix of every ChatAspire meter and activity source; each service names its own under it.</summary>
    public const string TelemetryPrefix = "ChatAspire";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ObservabilityOptions>()
            .BindConfiguration(ObservabilityOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.ConfigureLogging();
        builder.ConfigureOpenTelemetry();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        builder.Services.AddSingleton<HealthMetrics>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(sp => sp.GetRequiredService<HealthMetrics>());
        builder.Services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Delay = TimeSpan.FromSeconds(2);
            options.Period = TimeSpan.FromSeconds(10);
            options.Predicate = r => r.Tags.Contains(HealthEndpoints.ReadyTag);
        });

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddProblemDetails();
        // Unreadable requests become 400 ProblemDetails in every environment (not an empty 400 in Production, a 500 in Development).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<ChatAspire.ServiceDefaults.Http.BadRequestExceptionHandler>();
        return builder;
    }

    /// <summary>
    /// Request observability (first in the pipeline), <c>/health</c>, <c>/health/ready</c>, <c>/health/live</c> and <c>/metrics</c>.
    /// Call right after <c>Build()</c>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseMiddleware<RequestObservabilityMiddleware>();
        app.MapHealthEndpoints();
        app.MapPrometheusScrapingEndpoint(InfrastructurePaths.Metrics).AllowAnonymous().DisableHttpMetrics();
        return app;
    }

    private static void ConfigureLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Request-start lines include the query string, and with it a hub's access_token.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Every failed probe, during start-up too; HealthMetrics logs changes of a dependency's state instead.
        builder.Logging.AddFilter(HealthMetrics.FrameworkLogCategory, LogLevel.None);
        builder.Logging.AddConsole(options => options.FormatterName = JsonLogFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<JsonLogFormatter, ConsoleFormatterOptions>();
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
    }

    private static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        var observability = builder.Configuration.GetSection(ObservabilityOptions.SectionName).Get<ObservabilityOptions>() ?? new();
        builder.Services.AddSingleton<HttpMetrics>();
        builder.Services.AddSingleton<ProcessMetrics>();
        builder.Services.AddSingleton<GcPauseMetrics>();

        var otel = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddProcessInstrumentation()
                .AddMeter($"{TelemetryPrefix}.*")
                // Measurements taken inside a sampled span keep its trace id: /metrics in OpenMetrics format carries them as
                // exemplars, and a latency panel links to the trace (docs/monitoring.md).
                .SetExemplarFilter(ExemplarFilterType.TraceBased)
                .AddView(PublishedInstrumentsView)
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new VolumeAwareSampler(observability.TraceSamplingRatio, observability.HighVolumeTraceSamplingRatio,
                    observability.HighVolumeTracesPerSecond)))
                .AddSource(builder.Environment.ApplicationName)
                .AddSource($"{TelemetryPrefix}.*")
                .AddAspNetCoreInstrumentation(aspnet =>
                {
                    aspnet.Filter = context => !InfrastructurePaths.IsInfrastructure(context.Request.Path);
                    // Queries carry search terms, and browsers pass the hub token there: only parameter names reach a span.
                    aspnet.EnrichWithHttpRequest = (activity, request) =>
                    {
                        if (request.QueryString.HasValue && !observability.RecordQueryStrings)
                        {
                            activity.SetTag("url.query", QueryRedaction.Redact(request.QueryString.Value));
                        }
                    };
                })
                .AddHttpClientInstrumentation(http =>
                {
                    http.FilterHttpRequestMessage = request =>
                        request.RequestUri is null || !InfrastructurePaths.IsInfrastructure(request.RequestUri.AbsolutePath);
                    http.EnrichWithHttpRequestMessage = (activity, request) =>
                    {
                        if (request.RequestUri is { Query.Length: > 0 } uri && !observability.RecordQueryStrings)
                        {
                            activity.SetTag("url.full", uri.GetLeftPart(UriPartial.Path) + "?" + QueryRedaction.Redact(uri.Query));
                        }
                    };
                }));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        // Create the observable instruments once the container exists.
        builder.Services.AddHostedService<MetricsActivator>();
    }

    /// <summary>
    /// Which standard instruments are published, and under which names (the one place that decides it):
    /// <list type="bullet">
    /// <item>Prometheus lint (<c>promtool check metrics</c>) rejects a <c>_count</c> suffix on anything but histograms and
    /// summaries: the standard instruments that have one are renamed.</item>
    /// <item>The file-descriptor count is dropped: we already publish it as <c>process_open_fds</c>.</item>
    /// <item>Kestrel's two memory-pool instruments recorded on every buffer rented and returned (two to four times per
    /// WebSocket frame) are dropped: under the chat bench they were the largest single source of metric recording in
    /// Chat.Api, for series no alert or panel reads (bench/results/chat-profile.md, "Telemetry, fifth look"). The pool's
    /// allocated and evicted bytes, recorded only when it grows or shrinks, stay.</item>
    /// </list>
    /// </summary>
    internal static MetricStreamConfiguration? PublishedInstrumentsView(System.Diagnostics.Metrics.Instrument instrument) => instrument.Name switch
    {
        "process.unix.file_descriptor.count" => MetricStreamConfiguration.Drop,
        "aspnetcore.memory_pool.rented" or "aspnetcore.memory_pool.pooled" => MetricStreamConfiguration.Drop,
        "db.client.connection.count" => new MetricStreamConfiguration { Name = "db.client.connections.usage" },
        "process.thread.count" => new MetricStreamConfiguration { Name = "process.threads" },
        "dotnet.assembly.count" => new MetricStreamConfiguration { Name = "dotnet.assemblies.loaded" },
        "dotnet.timer.count" => new MetricStreamConfiguration { Name = "dotnet.timers" },
        "dotnet.process.cpu.count" => new MetricStreamConfiguration { Name = "dotnet.process.cpus" },
        { } name when name.EndsWith(".count", StringComparison.Ordinal) && !IsHistogram(instrument) =>
            new MetricStreamConfiguration { Name = name + "_current" },
        _ => null,
    };

    private static bool IsHistogram(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(System.Diagnostics.Metrics.Histogram<>);

    private sealed class MetricsActivator(ProcessMetrics process, HttpMetrics http, HealthMetrics health, GcPauseMetrics gcPauses) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(process);
            GC.KeepAlive(gcPauses);
            GC.KeepAlive(http);
            GC.KeepAlive(health);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
