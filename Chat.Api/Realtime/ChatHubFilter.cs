using Chat.Api.Messages;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Api.Realtime;

/// <summary>
/// Counts incoming hub calls and turns refused requests into hub errors the client can show ("Kind: detail"). This filter
/// owns the hub's error log: SignalR's own "Failed to invoke hub method" record (Error, with a stack trace, for every
/// refusal too) is switched off in <see cref="Extensions"/>. A refusal is an answer, not a fault: one Information line
/// and <c>hub_call_refusals_total{kind}</c>; only unexpected failures are logged as errors. It also applies the request
/// limit (<see cref="UserRequestLimiter"/>) to hub calls.
/// </summary>
internal sealed partial class ChatHubFilter(ChatTelemetry telemetry, UserRequestLimiter requests, ILogger<ChatHubFilter> logger) : IHubFilter
{
    public const string DispatcherLogCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        telemetry.HubMessage("in");
        try
        {
            // Every call but a send (which has its own, smaller bucket) takes from the caller's request bucket, the same one
            // their REST requests use.
            if (context.HubMethodName != nameof(ChatHub.SendMessage)
                && await requests.TryAcquireAsync(context.Context.User!, context.Context.ConnectionAborted) is (false, var retryAfter))
            {
                throw new ChatException(ChatErrorKind.RateLimited, $"Too many requests; retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.", retryAfter);
            }
            return await next(context);
        }
        catch (Exception ex) when ((ex as ChatException ?? ChatException.Unavailable(ex)) is { } refusal)
        {
            telemetry.HubCallRefused(refusal.Kind);
            LogRefused(logger, context.HubMethodName, refusal.Kind);
            throw new HubException($"{refusal.Kind}: {refusal.Message}");
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            LogFailed(logger, context.HubMethodName, ex);
            throw;
        }
    }

    [LoggerMessage(EventId = 2201, EventName = "hub_call_refused", Level = LogLevel.Information, Message = "hub_call_refused {HubMethod}: {Kind}")]
    private static partial void LogRefused(ILogger logger, string hubMethod, ChatErrorKind kind);

    [LoggerMessage(EventId = 2202, EventName = "hub_call_failed", Level = LogLevel.Error, Message = "hub_call_failed {HubMethod}")]
    private static partial void LogFailed(ILogger logger, string hubMethod, Exception exception);
}
