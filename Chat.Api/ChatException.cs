namespace Chat.Api;

public enum ChatErrorKind { Invalid, NotFound, Forbidden, Conflict, RateLimited, Unavailable }

/// <summary>
/// A request the chat rules refuse. REST turns it into ProblemDetails (400/404/403/409/429), the hub into a HubException;
/// in both cases nothing has been stored.
/// </summary>
public sealed class ChatException(ChatErrorKind kind, string detail, TimeSpan? retryAfter = null) : Exception(detail)
{
    /// <summary>For <see cref="ChatErrorKind.Invalid"/>: the request field at fault (REST: its key in <c>errors</c>).</summary>
    public string Field { get; private init; } = ChatAspire.ServiceDefaults.Http.Problems.RequestField;

    public ChatErrorKind Kind { get; } = kind;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public int StatusCode => StatusOf(Kind);

    /// <summary>The HTTP status of a refusal of <paramref name="kind"/>.</summary>
    public static int StatusOf(ChatErrorKind kind) => kind switch
    {
        ChatErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ChatErrorKind.NotFound => StatusCodes.Status404NotFound,
        ChatErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ChatErrorKind.Conflict => StatusCodes.Status409Conflict,
        ChatErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status429TooManyRequests,
    };

    public static ChatException Invalid(string detail, string field = ChatAspire.ServiceDefaults.Http.Problems.RequestField) =>
        new(ChatErrorKind.Invalid, detail) { Field = field };
    public static ChatException NotFound(string detail) => new(ChatErrorKind.NotFound, detail);
    public static ChatException Forbidden(string detail) => new(ChatErrorKind.Forbidden, detail);

    /// <summary>
    /// The refusal for a failure of the infrastructure under a request (Postgres or Redis down or restarting): the
    /// request may have been cut anywhere, so the client retries it (with the same clientMessageId for a send).
    /// Null when <paramref name="exception"/> is not such a failure.
    /// </summary>
    public static ChatException? Unavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // Also what the data libraries themselves throw on a broken connection (e.g. Npgsql's "connection is not open").
            if (e is Npgsql.NpgsqlException or StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException
                or TimeoutException or System.Net.Sockets.SocketException or IOException
                || (e is InvalidOperationException or ObjectDisposedException && e.Source is "Npgsql" or "StackExchange.Redis"))
            {
                return new ChatException(ChatErrorKind.Unavailable,
                    "The service is briefly unavailable (its database or cache is restarting); retry in a moment (a send with the same clientMessageId).",
                    TimeSpan.FromSeconds(1));
            }
        }
        return null;
    }
}
