using System.Security.Claims;
using System.Text.Json;
using Chat.Api.Channels;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Webhooks;

internal static class WebhooksApi
{
    /// <summary>The most a webhook request may carry: a message's text with room for its JSON or form encoding.</summary>
    public const long MaxBody = 64 * 1024;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/channels/{channelId:guid}/webhooks").WithTags("Webhooks")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", Create).WithName("CreateWebhook")
            .WithSummary("Create an incoming webhook (channel owner or admin); the answer's url holds its secret and is shown only this once.")
            .ProducesValidationProblem();
        group.MapGet("/", List).WithName("ListWebhooks").WithSummary("The channel's incoming webhooks, without secrets (channel owner or admin).");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteWebhook").WithSummary("Revoke an incoming webhook at once (channel owner or admin).");
        // Authenticated by the secret in its URL, as Slack's incoming webhooks are: no account token.
        app.MapPost("/api/hooks/{id:guid}", Post).WithTags("Webhooks").WithName("PostToWebhook").AllowAnonymous()
            .WithSummary("Post a message through an incoming webhook: JSON {text, username}, or a form with payload={json} (Slack clients). 200 \"ok\".")
            // The body is read by the handler (JSON or a form), after the secret: Accepts metadata would make routing refuse
            // another type before the endpoint, where only the authenticated fallback answers (401 instead of 415).
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<Created<CreatedWebhookDto>> Create(Guid channelId, CreateWebhookRequest request, ClaimsPrincipal user, HttpContext context,
        IncomingWebhookService webhooks, CancellationToken ct)
    {
        var (webhook, secret) = await webhooks.CreateAsync(user.Caller(), channelId, request.Name, ct);
        var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/api/hooks/{webhook.Id}?token={secret}";
        return TypedResults.Created($"/api/channels/{channelId}/webhooks", new CreatedWebhookDto(webhook.Id, webhook.Name, url));
    }

    private static async Task<Ok<IReadOnlyList<WebhookDto>>> List(Guid channelId, ClaimsPrincipal user, IncomingWebhookService webhooks, CancellationToken ct) =>
        TypedResults.Ok(await webhooks.ListAsync(user.Caller(), channelId, ct));

    private static async Task<NoContent> Delete(Guid channelId, Guid id, ClaimsPrincipal user, IncomingWebhookService webhooks, CancellationToken ct)
    {
        await webhooks.DeleteAsync(user.Caller(), channelId, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Post(Guid id, string? token, HttpContext context, IncomingWebhookService webhooks, CancellationToken ct)
    {
        // The secret first: a wrong one is a 404 whatever the body, and nothing of the body is read.
        if (await webhooks.FindAsync(id, token ?? "", ct) is not { } webhook)
        {
            return ChatProblem.Of(ChatErrorKind.NotFound, "No such webhook.");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody;
        }
        WebhookPayload? payload;
        try
        {
            if (context.Request.HasFormContentType)
            {
                var form = await context.Request.ReadFormAsync(ct);
                payload = form["payload"] is { Count: > 0 } json
                    ? JsonSerializer.Deserialize<WebhookPayload>(json.ToString(), JsonSerializerOptions.Web)
                    : new WebhookPayload(form["text"], form["username"]);
            }
            else if (context.Request.HasJsonContentType())
            {
                payload = await context.Request.ReadFromJsonAsync<WebhookPayload>(ct);
            }
            else
            {
                return TypedResults.Problem("Send JSON ({\"text\": \"...\"}) or a form with payload={json}.", statusCode: StatusCodes.Status415UnsupportedMediaType,
                    title: "Unsupported media type");
            }
        }
        catch (JsonException)
        {
            return ChatProblem.Of(ChatErrorKind.Invalid, "The body is not a webhook payload: JSON {\"text\": \"...\", \"username\": \"...\"}, or a form with payload={json}.");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem($"A webhook request may carry at most {MaxBody / 1024} KiB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        }
        await webhooks.PostAsync(webhook, payload ?? new WebhookPayload(null, null), ct);
        return TypedResults.Text("ok"); // what Slack answers, and what its clients check for
    }
}
