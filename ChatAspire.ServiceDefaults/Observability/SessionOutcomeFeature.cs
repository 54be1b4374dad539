using Microsoft.AspNetCore.Http;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// How a real-time session ended, told by whoever knows (a SignalR hub's <c>OnDisconnectedAsync</c>: an exception means
/// the connection was lost) to the request observability that measures <c>websocket_session_duration_seconds</c>.
/// Without a report, a session counts as <c>closed</c>, or <c>aborted</c> when its connection dropped.
/// </summary>
public sealed class SessionOutcomeFeature
{
    public string? Outcome { get; private set; }

    /// <summary>Records the end of the session <paramref name="context"/> carries: <paramref name="error"/> null for a close either side asked for.</summary>
    public static void Report(HttpContext? context, Exception? error)
    {
        if (context?.Features.Get<SessionOutcomeFeature>() is { } feature)
        {
            feature.Outcome = error is null ? "closed" : "aborted";
        }
    }
}
