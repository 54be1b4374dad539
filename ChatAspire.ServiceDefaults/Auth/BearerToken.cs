using Microsoft.AspNetCore.Http;

namespace ChatAspire.ServiceDefaults.Auth;

/// <summary>The one reader of a request's access token, for services that forward the caller's token to another service.</summary>
public static class BearerToken
{
    /// <summary>The <c>Authorization: Bearer</c> token, or (hubs in browsers) the <c>access_token</c> query value; empty when there is none.</summary>
    public static string From(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header[7..].Trim();
        }
        return FromHubQuery(context.Request) ?? "";
    }

    /// <summary>A hub request's token from the query (<c>access_token</c>): browsers cannot set headers on WebSockets. Null elsewhere.</summary>
    public static string? FromHubQuery(HttpRequest request) =>
        request.Path.StartsWithSegments("/hubs") && request.Query["access_token"] is { Count: > 0 } token ? token.ToString() : null;
}
