using System.Security.Claims;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Ai;

public sealed record AskRequest(string Question, Guid? ClientMessageId = null);

public sealed record AskResponse(MessageDto Message, Guid? JobId);

internal static class AiApi
{
    public static IEndpointRouteBuilder MapAiApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/channels/{channelId:guid}/ai/ask", Ask).WithTags("Assistant").WithName("AskAssistant")
            .WithSummary("Post a question for the assistant; the reply streams into the channel (AiReplyDelta) and is then posted as an ai message.")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapGet("/api/channels/{channelId:guid}/ai/active", Active).WithTags("Assistant").WithName("ActiveAiReplies")
            .WithSummary("Replies streaming in the channel right now, with their text so far.");
        app.MapGet("/api/ai/jobs/{id:guid}", GetJob).WithTags("Assistant").WithName("GetAiJob").WithSummary("Status of an assistant job.");
        app.MapPost("/api/ai/jobs/{id:guid}/cancel", Cancel).WithTags("Assistant").WithName("CancelAiJob")
            .WithSummary("Stop a reply in progress (any member who may post in the channel); 409 when the reply has already finished.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/api/ai/replies", PostReply).WithTags("Assistant").WithName("PostAiReply")
            .WithSummary("The AI worker posts a job's final reply (service token only); idempotent per job. A reply longer than a message is stored as consecutive messages that join to it exactly.");
        return app;
    }

    private static async Task<Results<Accepted<AskResponse>, Ok<AskResponse>>> Ask(Guid channelId, AskRequest request, HttpContext context,
        MessageService messages, ChatDbContext db, CancellationToken ct)
    {
        var (message, created) = await messages.SendAsync(context.User.Caller(), channelId,
            new SendMessageRequest(request.Question, request.ClientMessageId, Type: MessageTypes.Command), ct, askAssistant: true);
        var jobId = await db.AiJobs.Where(j => j.MessageId == message.Id).Select(j => (Guid?)j.Id).FirstOrDefaultAsync(ct);
        var response = new AskResponse(message, jobId);
        return created ? TypedResults.Accepted($"/api/ai/jobs/{jobId}", response) : TypedResults.Ok(response);
    }

    private static async Task<Ok<IReadOnlyList<AiReplyDelta>>> Active(Guid channelId, ClaimsPrincipal user, ChannelAccess access, AiStreams streams,
        CancellationToken ct)
    {
        await access.ReadableAsync(channelId, user.Caller(), ct);
        return TypedResults.Ok(await streams.ActiveAsync(channelId));
    }

    private static async Task<Results<Ok<AiJobDto>, ProblemHttpResult>> GetJob(Guid id, ClaimsPrincipal user, ChatDbContext db, ChannelAccess access, CancellationToken ct)
    {
        if (await db.AiJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct) is not { } job)
        {
            return ChatProblem.Of(ChatErrorKind.NotFound, "No such assistant job.");
        }
        await access.ReadableAsync(job.ChannelId, user.Caller(), ct);
        return TypedResults.Ok(AiJobDto.From(job));
    }

    private static async Task<Accepted> Cancel(Guid id, ClaimsPrincipal user, AiStreams streams, CancellationToken ct)
    {
        await streams.CancelAsync(id, user.Caller(), ct);
        return TypedResults.Accepted($"/api/ai/jobs/{id}");
    }

    private static async Task<Results<Created<MessageDto>, Ok<MessageDto>, ProblemHttpResult>> PostReply(AiReplyRequest request, ClaimsPrincipal user,
        AiReplies replies, CancellationToken ct)
    {
        if (!user.IsService())
        {
            return ChatProblem.Of(ChatErrorKind.Forbidden, "Only the AI worker posts replies.");
        }
        var (message, created) = await replies.PostAsync(request, ct);
        return created ? TypedResults.Created($"/api/channels/{message.ChannelId}/messages?after={message.Seq - 1}&limit=1", message) : TypedResults.Ok(message);
    }
}
