namespace Chat.Api.Realtime;

/// <summary>Real-time settings (section <c>Realtime</c>).</summary>
public sealed class RealtimeOptions
{
    public const string SectionName = "Realtime";

    /// <summary>
    /// Browser origins allowed to open the hub besides the API's own origin. A handshake carrying any other
    /// <c>Origin</c> is refused (cross-site WebSocket hijacking). Clients that send no Origin (native apps) are allowed.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>Refuses hub requests from foreign origins and counts refused hub handshakes.</summary>
internal sealed class HubOriginMiddleware(RequestDelegate next, Microsoft.Extensions.Options.IOptionsMonitor<RealtimeOptions> options, ChatTelemetry telemetry)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/hubs"))
        {
            await next(context);
            return;
        }
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowed(context.Request, origin))
        {
            telemetry.ConnectionRejected();
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        await next(context);
        if (context.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            telemetry.ConnectionRejected();
        }
    }

    private bool IsAllowed(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
        || options.CurrentValue.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);
}
