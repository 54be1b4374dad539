using System.Security.Claims;
using Chat.AiWorker.Providers;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.AiWorker.Summaries;

internal static class SummaryApi
{
    public const string Policy = "summaries";
    public const int MaxHighlights = 30;
    public const int DefaultHighlights = 12;

    public static IEndpointRouteBuilder MapSummaryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/channels/{id:guid}/catch-up/summary", Summarise).WithTags("Catch me up").WithName("CatchUpSummary")
            .RequireRateLimiting(Policy)
            .WithSummary("\"Catch me up\" written by the configured model: a few sentences over what I have not read, citing the messages.")
            .WithDescription("after: the seq read up to (default: my read mark); limit: messages given to the model, 1–30 (12). " +
                "Chat.Api picks them (GET /api/channels/{id}/catch-up, with my token: only what I may read); sources[n-1] is the message [n] " +
                "links to, cited lists the numbers the summary uses. 409 when no model is configured (the digest is then extractive only); " +
                "503 when the model does not answer.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<CatchUpSummaryDto>, ValidationProblem, ProblemHttpResult>> Summarise(Guid id, long? after, int? limit,
        HttpContext context, ClaimsPrincipal user, CatchUpDigest digests, CatchUpSummaries summaries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (user.IsService())
        {
            errors["token"] = ["A summary is written for a person: use a person's or bot's token."];
        }
        if (after is < 0)
        {
            errors["after"] = ["after is a seq, 0 or more."];
        }
        if (limit is < 1 or > MaxHighlights)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxHighlights}."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        if (!summaries.HasModel)
        {
            return TypedResults.Problem("No language model is configured (Ai:Provider is builtin): use the extractive digest, GET /api/channels/{id}/catch-up on Chat.Api.",
                statusCode: StatusCodes.Status409Conflict, title: "NoModel");
        }
        var (digest, status, problem) = await digests.GetAsync(id, after, limit ?? DefaultHighlights, BearerToken.From(context), ct);
        if (digest is null)
        {
            // Chat.Api's refusal, as it gave it (403: not a member, 404: no such channel, 429: its limit).
            return (int)status >= 500
                ? throw new HttpRequestException($"Chat.Api answered {(int)status} to the digest", null, status)
                : TypedResults.Problem(ProblemDetail(problem), statusCode: (int)status);
        }
        try
        {
            return TypedResults.Ok(await summaries.SummariseAsync(digest, ct));
        }
        catch (ProviderUnavailableException ex)
        {
            context.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem($"The model is not answering ({ex.Message}). The extractive digest still works.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "ModelUnavailable");
        }
    }

    private static string? ProblemDetail(string? body)
    {
        try
        {
            return body is { Length: > 0 } && System.Text.Json.JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var detail)
                ? detail.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
