using System.Security.Claims;
using Chat.Api.Channels;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Digest;

internal static class CatchUpApi
{
    public static IEndpointRouteBuilder MapCatchUpApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/channels/{id:guid}/catch-up", Get).WithTags("Channels").WithName("CatchUp")
            .WithSummary("A digest of what I have not read: who took part and the messages worth reading, in order.")
            .WithDescription("after: the seq read up to (default: my read mark; a page that has since opened the channel passes the mark it saw). " +
                "limit: highlights, 1–30 (10). Picked from the messages without a model (mode extractive).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<CatchUpDto>, ValidationProblem>> Get(Guid id, long? after, int? limit, ClaimsPrincipal user, CatchUp catchUp,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (after is < 0)
        {
            errors["after"] = ["after is a seq, 0 or more."];
        }
        if (limit is < 1 or > CatchUp.MaxHighlights)
        {
            errors["limit"] = [$"limit must be between 1 and {CatchUp.MaxHighlights}."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        return TypedResults.Ok(await catchUp.DigestAsync(user.Caller(), id, after, limit ?? CatchUp.DefaultHighlights, ct));
    }
}
