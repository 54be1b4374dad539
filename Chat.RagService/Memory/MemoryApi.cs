using System.Diagnostics;
using System.Security.Claims;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.ServiceDefaults.Http;
using Chat.RagService.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.RagService.Memory;

internal static class MemoryApi
{
    public const int MaxQueryLength = 1000;
    public const int MaxTopK = 50;
    public const int MaxChannels = 10_000;
    public const int MaxFiles = 50_000;

    public const int MaxSearchQueryLength = 500;
    public const int MaxLimit = 50;
    public const int DefaultLimit = 20;

    public static IEndpointRouteBuilder MapMemoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", SearchEverything).WithTags("Memory").WithName("SearchEverything")
            .WithSummary("One ranked list of the messages and document passages I may read (the team memory: words and meaning).")
            .WithDescription("q: 1–500 characters; limit: 1–50 (20); channelId: only that channel (403 when I cannot read it). " +
                "Hits whose text holds the whole query come first. A message hit has messageId, channelId, seq, senderName and createdAt " +
                "(open its channel around its seq); a document hit has fileId, fileName and page or heading. Chat.Api decides what I may read.")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapPost("/api/rag/memory", Search).WithTags("Memory").WithName("SearchMemory")
            .WithSummary("Services only: one hybrid ranking of the messages of the named channels and the passages of the named files.")
            .WithDescription("The AI worker calls it with its channel. A person's token is refused (403): people search with GET /api/search.");
        return app;
    }

    private static async Task<Results<Ok<SearchResults>, ValidationProblem, ProblemHttpResult>> SearchEverything(string? q, Guid? channelId, int? limit,
        HttpContext context, ClaimsPrincipal user, ReadableScope scope, MemorySearch search, RagTelemetry telemetry, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var errors = new Dictionary<string, string[]>();
        if (user.IsService())
        {
            errors["token"] = ["A service searches with POST /api/rag/memory, naming its channels."];
        }
        QueryRules.Check(q, MaxSearchQueryLength, errors, "q");
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        }
        if (errors.Count > 0)
        {
            telemetry.Query("invalid", watch.Elapsed);
            return Problems.Invalid(errors);
        }
        var readable = await scope.OfAsync(user, BearerToken.From(context), ct);
        IReadOnlyList<Guid> channels = readable.Channels;
        IReadOnlyList<Guid> files = readable.Files;
        if (channelId is { } only)
        {
            if (!readable.Channels.Contains(only))
            {
                telemetry.Query("forbidden", watch.Elapsed);
                return TypedResults.Problem("You cannot read that channel.", statusCode: StatusCodes.Status403Forbidden);
            }
            channels = [only];
            files = []; // a channel's messages only
        }
        var query = q!.Trim();
        var found = await search.SearchAsync(new MemorySearchRequest(query, channels, files, limit ?? DefaultLimit), ct);
        telemetry.Query("ok", watch.Elapsed);
        return TypedResults.Ok(new SearchResults(query, found.Hits));
    }

    private static async Task<Results<Ok<MemorySearchResponse>, ValidationProblem, ProblemHttpResult>> Search(
        MemorySearchRequest request, ClaimsPrincipal user, MemorySearch search, RagTelemetry telemetry, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        if (!user.IsService())
        {
            return TypedResults.Problem("Only services search the team memory here; people use GET /api/search.", statusCode: StatusCodes.Status403Forbidden);
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
        QueryRules.Check(request.Query, MaxQueryLength, errors, "query");
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
