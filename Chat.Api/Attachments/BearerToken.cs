namespace Chat.Api.Attachments;

internal static class BearerToken
{
    /// <summary>The request's access token: the Authorization header, or (hubs in browsers) the access_token query value.</summary>
    public static string? From(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header[7..];
        }
        return context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query["access_token"] is { Count: > 0 } token ? token.ToString() : null;
    }
}
