using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>
/// A request the framework could not read (bad JSON, a wrong JSON type, <c>limit=abc</c>, <c>topK=2147483648</c>, a missing
/// required value, a body cut short) is the client's mistake: 400 (or the status Kestrel chose, e.g. 413) as ProblemDetails
/// with the framework's sentence (a 400 in the shape of every 400: <see cref="Problems"/>), in every environment, logged at Information without a stack trace. Minimal APIs throw
/// these everywhere because <see cref="Microsoft.AspNetCore.Routing.RouteHandlerOptions.ThrowOnBadRequest"/> is on.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        LogBadRequest(logger, bad.StatusCode, bad.Message);
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = bad.StatusCode == StatusCodes.Status400BadRequest
                ? Problems.InvalidDetails(Problems.RequestField, $"The request could not be read. {Describe(bad)}")
                : new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = bad.StatusCode, Title = "The request could not be read.", Detail = Describe(bad) },
        });
    }

    /// <summary>The framework's own sentence names the parameter; a JSON error adds where in the body it is.</summary>
    private static string Describe(BadHttpRequestException bad) =>
        bad.InnerException is System.Text.Json.JsonException { Path: { Length: > 0 } path }
            ? $"{bad.Message} The JSON is wrong at {path}."
            : bad.Message;

    [LoggerMessage(EventId = 1101, EventName = "bad_request", Level = LogLevel.Information, Message = "bad_request {Status}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, int status, string reason);
}
