namespace Chat.Api.Realtime;

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
