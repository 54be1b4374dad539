using ChatAspire.ServiceDefaults.Http;
using System.Diagnostics;
using System.Security.Claims;
using ChatAspire.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.RagService.Search;

internal static class SearchApi
{
    public const int MaxQueryLength = 1000;
    public const int MaxTopK = 100;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/rag/search", Search).WithTags("Search").WithName("Search")
            .WithSummary("Hybrid (full-text + vector) search over the documents the caller may read, with citation data.");
        return app;
    }

    private static async Task<Results<Ok<RagSearchResponse>, ValidationProblem, ProblemHttpResult>> Search(
        RagSearchRequest request, HttpContext context, ClaimsPrincipal user, SearchService search, RagTelemetry telemetry, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            telemetry.Query("invalid", watch.Elapsed);
            return Problems.Invalid(errors);
        }
        try
        {
            var response = await search.SearchAsync(request with { Query = request.Query.Trim() }, user, ChatAspire.ServiceDefaults.Auth.BearerToken.From(context), ct);
            telemetry.Query("ok", watch.Elapsed);
            return TypedResults.Ok(response);
        }
        catch (SearchForbiddenException ex)
        {
            telemetry.Query("forbidden", watch.Elapsed);
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status403Forbidden);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            telemetry.Query("error", watch.Elapsed);
            throw;
        }
    }

    private static Dictionary<string, string[]> Validate(RagSearchRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        QueryRules.Check(request.Query, MaxQueryLength, errors, "query");
        if (request.TopK is < 1 or > MaxTopK)
        {
            errors["topK"] = [$"topK must be between 1 and {MaxTopK}."];
        }
        if (request.Mode is not (null or RagSearchModes.Documents or RagSearchModes.Chunks))
        {
            errors["mode"] = [$"mode is {RagSearchModes.Documents} (the default) or {RagSearchModes.Chunks}."];
        }
        if (request.FileIds is { Count: > 200 })
        {
            errors["fileIds"] = ["At most 200 file ids."];
        }
        return errors;
    }
}
