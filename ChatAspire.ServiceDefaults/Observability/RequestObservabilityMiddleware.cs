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

        if (SessionTransport(context) is { } transport)
        {
            await ObserveSessionAsync(context, transport, start);
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

    /// <summary>The real-time transport of a long-lived request, or null for an ordinary request.</summary>
    internal static string? SessionTransport(HttpContext context)
    {
        // First in the pipeline, before the WebSocket middleware: read the handshake itself (HTTP/1.1 Upgrade, HTTP/2 extended CONNECT).
        if ((context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
                && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase))
            || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true)
        {
            return "websockets";
        }
        if (context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return "server_sent_events";
        }
        // SignalR long polling: GET of the connection URL with its id (negotiate is an ordinary POST).
        return HttpMethods.IsGet(context.Request.Method) && context.Request.Query.ContainsKey("id")
            && context.Request.Path.StartsWithSegments("/hubs") ? "long_polling" : null;
    }

    private async Task ObserveSessionAsync(HttpContext context, string transport, long start)
    {
        // Not an HTTP request in any latency sense: out of the framework's request metrics too.
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } aspnetMetrics)
        {
            aspnetMetrics.MetricsDisabled = true;
        }
        var outcome = "error";
        var reported = new SessionOutcomeFeature();
        context.Features.Set(reported);
        try
        {
            await next(context);
            outcome = reported.Outcome ?? (context.RequestAborted.IsCancellationRequested ? "aborted" : "closed");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            outcome = "aborted";
            throw;
        }
        finally
        {
            metrics.RecordSession(transport, outcome, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "slow_request", Level = LogLevel.Warning,
        Message = "slow_request {Method} {Endpoint} answered {Status} in {DurationMs} ms")]
    private static partial void LogSlowRequest(ILogger logger, string method, string endpoint, int status, double durationMs);
}
