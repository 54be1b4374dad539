using System.Security.Claims;
using Chat.Api.Channels;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Messages;

internal static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/channels/{channelId:guid}/messages").WithTags("Messages")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/", History).WithName("History")
            .WithSummary("Messages by sequence number: the newest page, `before` a number (older), or `after` a number (catch-up, ascending).");
        group.MapPost("/", Send).WithName("SendMessage")
            .WithSummary("Post a message. With a clientMessageId a retry returns the original message (200) instead of a duplicate (201).");
        group.MapPut("/{id:guid}", Edit).WithName("EditMessage").WithSummary("Edit my own message.");
        group.MapGet("/{id:guid}/edits", Edits).WithName("MessageEdits")
            .WithSummary("The texts a message had before its edits, oldest first (none once it is deleted).");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteMessage").WithSummary("Delete my own message, or any as a moderator.");
        group.MapPut("/{id:guid}/reactions/{emoji}", AddReaction).WithName("AddReaction").WithSummary("React to a message.");
        group.MapDelete("/{id:guid}/reactions/{emoji}", RemoveReaction).WithName("RemoveReaction").WithSummary("Remove my reaction.");
        group.MapGet("/{id:guid}/thread", Thread).WithName("Thread")
            .WithSummary("A message and its replies in seq order: a page `after` a seq (default from the first), up to `limit`.");
        app.MapGet("/api/mentions", MentionsOfMe).WithTags("Messages").WithName("Mentions")
            .WithSummary("Messages that mention me (`@userName`) in channels I may read, newest first; `before` a createdAt for older ones.");
        app.MapGet("/api/mentions/unread", UnreadMentions).WithTags("Messages").WithName("UnreadMentions")
            .WithSummary("Per channel I belong to, how many messages after my read mark mention me (channels with none are left out).");
        app.MapGet("/api/messages/search", Search).WithTags("Messages").WithName("SearchMessages")
            .WithSummary("Full-text search over the messages I may read.");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<MessageDto>>> History(Guid channelId, long? before, long? after, int? limit,
        ClaimsPrincipal user, MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.HistoryAsync(user.Caller(), channelId, before, after, limit, ct));

    private static async Task<Ok<MessageHistoryDto>> Edits(Guid channelId, Guid id, ClaimsPrincipal user, MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.EditsAsync(user.Caller(), channelId, id, ct));

    private static async Task<Results<Created<MessageDto>, Ok<MessageDto>>> Send(Guid channelId, SendMessageRequest request,
        HttpContext context, MessageService messages, CancellationToken ct)
    {
        var (message, created) = await messages.SendAsync(context.User.Caller(), channelId, request, ct);
        return created
            ? TypedResults.Created($"/api/channels/{channelId}/messages?after={message.Seq - 1}&limit=1", message)
            : TypedResults.Ok(message);
    }

    private static async Task<Ok<MessageDto>> Edit(Guid channelId, Guid id, EditMessageRequest request, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.EditAsync(user.Caller(), channelId, id, request.Content, ct));

    private static async Task<NoContent> Delete(Guid channelId, Guid id, ClaimsPrincipal user, MessageService messages, CancellationToken ct)
    {
        await messages.DeleteAsync(user.Caller(), channelId, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<ReactionCount>>> AddReaction(Guid channelId, Guid id, string emoji, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.ReactAsync(user.Caller(), channelId, id, emoji, add: true, ct));

    private static async Task<Ok<IReadOnlyList<ReactionCount>>> RemoveReaction(Guid channelId, Guid id, string emoji, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.ReactAsync(user.Caller(), channelId, id, emoji, add: false, ct));

    private static async Task<Ok<ThreadDto>> Thread(Guid channelId, Guid id, long? after, int? limit, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.ThreadAsync(user.Caller(), channelId, id, after, limit, ct));

    private static async Task<Ok<IReadOnlyList<MessageDto>>> MentionsOfMe(DateTimeOffset? before, int? limit, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.MentionsOfAsync(user.Caller(), before, limit, ct));

    private static async Task<Ok<IReadOnlyList<UnreadMentionsDto>>> UnreadMentions(ClaimsPrincipal user, MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.UnreadMentionsAsync(user.Caller(), ct));

    private static async Task<Ok<IReadOnlyList<MessageDto>>> Search(string q, Guid? channelId, int? limit, ClaimsPrincipal user,
        MessageService messages, CancellationToken ct) =>
        TypedResults.Ok(await messages.SearchAsync(user.Caller(), q, channelId, limit, ct));
}
