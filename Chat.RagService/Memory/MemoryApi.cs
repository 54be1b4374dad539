using System.Diagnostics;
using System.Security.Claims;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.RagService.Memory;

internal static class MemoryApi
{
    public const int MaxQueryLength = 1000;
    public const int MaxTopK = 50;
    public const int MaxChannels = 10_000;
    public const int MaxFiles = 50_000;

    public static IEndpointRouteBuilder MapMemoryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/rag/memory", Search).WithTags("Memory").WithName("SearchMemory")
            .WithSummary("Services only: one hybrid ranking of the messages of the named channels and the passages of the named files.")
            .WithDescription("Chat.Api's GET /api/search calls it with the channels and files its user may read; the AI worker with its channel. " +
                "A person's token is refused (403): people search through GET /api/search on Chat.Api.");
        return app;
    }

    private static async Task<Results<Ok<MemorySearchResponse>, ValidationProblem, ProblemHttpResult>> Search(
        MemorySearchRequest request, ClaimsPrincipal user, MemorySearch search, RagTelemetry telemetry, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        if (!user.IsService())
        {
            return TypedResults.Problem("Only services search the team memory here; people use GET /api/search on Chat.Api.", statusCode: StatusCodes.Status403Forbidden);
        }
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            telemetry.Query("invalid", watch.Elapsed);
            return Problems.Invalid(errors);
        }
        var response = await search.SearchAsync(request, ct);
        telemetry.Query("ok", watch.Elapsed);
        return TypedResults.Ok(response);
    }

    private static Dictionary<string, string[]> Validate(MemorySearchRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            errors["query"] = ["Say what to search for."];
        }
        else if (request.Query.Length > MaxQueryLength)
        {
            errors["query"] = [$"A query has at most {MaxQueryLength} characters."];
        }
        else if (!ChatAspire.Rules.TextRules.IsAcceptableText(request.Query))
        {
            errors["query"] = ["The query contains a control character (such as NUL)."];
        }
        if (request.TopK is < 1 or > MaxTopK)
        {
            errors["topK"] = [$"topK must be between 1 and {MaxTopK}."];
        }
        if (request.ChannelIds is null || request.ChannelIds.Count > MaxChannels)
        {
            errors["channelIds"] = [$"Name up to {MaxChannels} channels (an empty list searches no messages)."];
        }
        if (request.FileIds is { Count: > MaxFiles })
        {
            errors["fileIds"] = [$"At most {MaxFiles} file ids."];
        }
        return errors;
    }
}
