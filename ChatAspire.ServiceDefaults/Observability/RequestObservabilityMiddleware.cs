using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Adds <c>X-Response-Time</c> to every response, records the seed HTTP metrics under the route template,
/// and logs <c>slow_request</c> when a request takes longer than the configured threshold.
/// </summary>
internal sealed partial class RequestObservabilityMiddleware(
    RequestDelegate next,
    HttpMetrics metrics,
    IOptionsMonitor<ObservabilityOptions> options,
    ILogger<RequestObservabilityMiddleware> logger)
{
    public const string ResponseTimeHeader = "X-Response-Time";
    public const string UnmatchedEndpoint = "unmatched";

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            context.Response.Headers[ResponseTimeHeader] = elapsed.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
            return Task.CompletedTask;
        });

        if (InfrastructurePaths.IsInfrastructure(context.Request.Path))
        {
            if (context.Features.Get<IHttpMetricsTagsFeature>() is { } aspnetMetrics)
            {
                aspnetMetrics.MetricsDisabled = true;
            }
            await next(context);
            return;
        }

        var requestBody = new CountingStream(context.Request.Body);
        var responseBody = new CountingStream(context.Response.Body);
        context.Request.Body = requestBody;
        context.Response.Body = responseBody;
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            context.Request.Body = requestBody.Inner;
            context.Response.Body = responseBody.Inner;
            var elapsed = Stopwatch.GetElapsedTime(start);
            var endpoint = context.GetEndpoint() is RouteEndpoint route ? RouteTemplates.LabelOf(route.RoutePattern) : UnmatchedEndpoint;
            var method = HttpMetrics.MethodLabel(context.Request.Method);
            metrics.Record(method, endpoint, status, elapsed.TotalSeconds,
                context.Request.ContentLength ?? requestBody.BytesTransferred, responseBody.BytesTransferred);
            if (elapsed >= options.CurrentValue.SlowRequestThreshold)
            {
                LogSlowRequest(logger, method, endpoint, status, elapsed.TotalMilliseconds);
            }
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "slow_request", Level = LogLevel.Warning,
        Message = "slow_request {Method} {Endpoint} answered {Status} in {DurationMs} ms")]
    private static partial void LogSlowRequest(ILogger logger, string method, string endpoint, int status, double durationMs);
}
