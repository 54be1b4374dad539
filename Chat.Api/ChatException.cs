namespace Chat.Api;

public enum ChatErrorKind { Invalid, NotFound, Forbidden, Conflict, RateLimited }

/// <summary>
/// A request the chat rules refuse. REST turns it into ProblemDetails (400/404/403/409/429), the hub into a HubException;
/// in both cases nothing has been stored.
/// </summary>
public sealed class ChatException(ChatErrorKind kind, string detail, TimeSpan? retryAfter = null) : Exception(detail)
{
    public ChatErrorKind Kind { get; } = kind;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public int StatusCode => Kind switch
    {
        ChatErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ChatErrorKind.NotFound => StatusCodes.Status404NotFound,
        ChatErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ChatErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status429TooManyRequests,
    };

    public static ChatException Invalid(string detail) => new(ChatErrorKind.Invalid, detail);
    public static ChatException NotFound(string detail) => new(ChatErrorKind.NotFound, detail);
    public static ChatException Forbidden(string detail) => new(ChatErrorKind.Forbidden, detail);
}

/// <summary>Maps <see cref="ChatException"/> to an RFC 7807 response.</summary>
internal sealed class ChatExceptionHandler(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ChatException chat)
        {
            return false;
        }
        httpContext.Response.StatusCode = chat.StatusCode;
        if (chat.RetryAfter is { } retry)
        {
            httpContext.Response.Headers.RetryAfter = Math.Ceiling(retry.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = chat.StatusCode, Title = chat.Kind.ToString(), Detail = chat.Message },
        });
    }
}
