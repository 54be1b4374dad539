using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api;

/// <summary>
/// Refusals an endpoint decides itself, as declared results in the same shape <see cref="ChatExceptionHandler"/> gives
/// the refusals of shared services (title = the kind, status from <see cref="ChatException.StatusOf"/>). The rule: an
/// endpoint returns <c>Results&lt;…&gt;</c> for the outcomes it knows; code shared with the hub (channel access, the
/// message write path) throws <see cref="ChatException"/>, mapped once for REST and once for the hub.
/// </summary>
internal static class ChatProblem
{
    public static ProblemHttpResult Of(ChatErrorKind kind, string detail) => kind == ChatErrorKind.Invalid
        ? TypedResults.Problem(ChatAspire.ServiceDefaults.Http.Problems.InvalidDetails(ChatAspire.ServiceDefaults.Http.Problems.RequestField, detail))
        : TypedResults.Problem(detail, statusCode: ChatException.StatusOf(kind), title: kind.ToString());
}
