using System.Reflection;
using System.Text.Json;
using ChatAspire.ServiceDefaults.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatAspire.ServiceDefaults.Health;

/// <summary>
/// <c>/health</c> (status, timestamp, version), <c>/health/ready</c> (every dependency, 503 when one fails) and
/// <c>/health/live</c> (the process answers). Bodies name dependencies and states only: no connection strings, no exception text.
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";
    public const string LiveTag = "live";

    public static readonly string Version = Assembly.GetEntryAssembly() is { } entry
        ? entry.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? entry.GetName().Version?.ToString() ?? "0.0.0"
        : "0.0.0";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var statusCodes = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        app.MapHealthChecks(InfrastructurePaths.Health, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResultStatusCodes = statusCodes,
            ResponseWriter = WriteSummaryAsync,
        }).AllowAnonymous().DisableHttpMetrics();
        app.MapHealthChecks(InfrastructurePaths.Live, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResultStatusCodes = statusCodes,
            ResponseWriter = (context, report) => WriteDetailAsync(context, report, "alive", "dead"),
        }).AllowAnonymous().DisableHttpMetrics();
        app.MapHealthChecks(InfrastructurePaths.Ready, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResultStatusCodes = statusCodes,
            ResponseWriter = (context, report) => WriteDetailAsync(context, report, "ready", "not_ready"),
        }).AllowAnonymous().DisableHttpMetrics();
        return app;
    }

    private static Task WriteSummaryAsync(HttpContext context, HealthReport report) =>
        WriteJsonAsync(context, json =>
        {
            json.WriteString("status", report.Status == HealthStatus.Unhealthy ? "unhealthy" : "healthy");
            json.WriteString("timestamp", DateTimeOffset.UtcNow);
            json.WriteString("version", Version);
        });

    private static Task WriteDetailAsync(HttpContext context, HealthReport report, string ok, string failed) =>
        WriteJsonAsync(context, json =>
        {
            json.WriteString("status", report.Status switch
            {
                HealthStatus.Healthy => ok,
                HealthStatus.Degraded => "degraded",
                _ => failed,
            });
            json.WriteString("timestamp", DateTimeOffset.UtcNow);
            json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString().ToLowerInvariant());
                json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
                // Descriptions come from our own checks and never carry connection details.
                if (entry.Status != HealthStatus.Healthy && entry.Description is { Length: > 0 } description)
                {
                    json.WriteString("description", description);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        });

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.ToArray());
    }
}
