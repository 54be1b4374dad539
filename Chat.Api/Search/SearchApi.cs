using System.Security.Claims;
using Chat.Api.Channels;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Search;

internal static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", Search).WithTags("Search").WithName("Search")
            .WithSummary("One ranked list of the messages and document passages I may read (hybrid: words and meaning).")
            .WithDescription("q: 1–500 characters; limit: 1–50 (20); channelId: only that channel. Hits whose text holds the whole query come first. " +
                "A message hit carries the message (open its channel around its seq); a document hit the passage, with file, page and heading.");
        return app;
    }

    private static async Task<Results<Ok<SearchResultsDto>, ValidationProblem>> Search(string? q, Guid? channelId, int? limit, ClaimsPrincipal user,
        UnifiedSearch search, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(q))
        {
            errors["q"] = ["Say what to search for."];
        }
        else if (q.Length > UnifiedSearch.MaxQueryLength)
        {
            errors["q"] = [$"A query has at most {UnifiedSearch.MaxQueryLength} characters."];
        }
        else if (!ChatAspire.Rules.TextRules.IsAcceptableText(q))
        {
            errors["q"] = ["The query contains a control character (such as NUL)."];
        }
        if (limit is < 1 or > UnifiedSearch.MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {UnifiedSearch.MaxLimit}."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        return TypedResults.Ok(await search.SearchAsync(user.Caller(), q!, channelId, limit ?? UnifiedSearch.DefaultLimit, ct));
    }
}
