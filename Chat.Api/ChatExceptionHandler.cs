using ChatAspire.ServiceDefaults.Http;

namespace Chat.Api;

/// <summary>Maps <see cref="ChatException"/> to an RFC 7807 response (an <c>Invalid</c> one in the shape of every 400: <see cref="Problems"/>).</summary>
internal sealed class ChatExceptionHandler(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if ((exception as ChatException ?? ChatException.Unavailable(exception)) is not { } chat)
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
            ProblemDetails = chat.Kind == ChatErrorKind.Invalid
                ? Problems.InvalidDetails(chat.Field, chat.Message)
                : new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = chat.StatusCode, Title = chat.Kind.ToString(), Detail = chat.Message },
        });
    }
}
