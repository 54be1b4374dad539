using System.Security.Claims;
using Chat.Api.Channels;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Webhooks;

internal static class OutgoingWebhooksApi
{
    public static IEndpointRouteBuilder MapOutgoingWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/channels/{channelId:guid}/outgoing-webhooks").WithTags("Webhooks")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", Create).WithName("CreateOutgoingWebhook")
            .WithSummary("Create an outgoing webhook (channel owner or admin): {url, triggerWords, name?}; the answer's secret signs every delivery and is shown only this once.");
        group.MapGet("/", List).WithName("ListOutgoingWebhooks").WithSummary("The channel's outgoing webhooks, without secrets (channel owner or admin).");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteOutgoingWebhook").WithSummary("Revoke an outgoing webhook at once (channel owner or admin).");
        group.MapGet("/{id:guid}/deliveries", Deliveries).WithName("OutgoingWebhookDeliveries")
            .WithSummary("The webhook's delivery log, newest first: status, attempts, the last answer's status code or error (channel owner or admin).");
        return app;
    }

    private static async Task<Created<CreatedOutgoingWebhookDto>> Create(Guid channelId, CreateOutgoingWebhookRequest request, ClaimsPrincipal user,
        OutgoingWebhookService webhooks, CancellationToken ct)
    {
        var created = await webhooks.CreateAsync(user.Caller(), channelId, request, ct);
        return TypedResults.Created($"/api/channels/{channelId}/outgoing-webhooks/{created.Id}", created);
    }

    private static async Task<Ok<IReadOnlyList<OutgoingWebhookDto>>> List(Guid channelId, ClaimsPrincipal user, OutgoingWebhookService webhooks,
        CancellationToken ct) => TypedResults.Ok(await webhooks.ListAsync(user.Caller(), channelId, ct));

    private static async Task<NoContent> Delete(Guid channelId, Guid id, ClaimsPrincipal user, OutgoingWebhookService webhooks, CancellationToken ct)
    {
        await webhooks.DeleteAsync(user.Caller(), channelId, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<DeliveryDto>>> Deliveries(Guid channelId, Guid id, int? limit, ClaimsPrincipal user,
        OutgoingWebhookService webhooks, CancellationToken ct) => TypedResults.Ok(await webhooks.DeliveriesAsync(user.Caller(), channelId, id, limit, ct));
}
