using ChatAspire.ServiceDefaults.Http;
using System.Security.Claims;
using Chat.Api.Accounts;
using Chat.Api.Audit;
using Chat.Api.Channels;
using Chat.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Retention;

/// <summary>A channel's retention: <c>days</c> null keeps its messages forever.</summary>
public sealed record RetentionRequest(int? Days);

/// <summary>
/// What applies to a channel: <c>days</c> (null: kept forever) and where it comes from: <c>channel</c> (its own
/// setting) or <c>default</c> (<c>Retention:DefaultDays</c>).
/// </summary>
public sealed record RetentionDto(Guid ChannelId, int? Days, string Source);

internal static class RetentionApi
{
    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder app)
    {
        var channel = app.MapGroup("/api/channels/{channelId:guid}/retention").WithTags("Channels")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        channel.MapGet("/", Get).WithName("GetRetention").WithSummary("How long the channel's messages are kept (anyone who may read it).");
        channel.MapPut("/", Set).WithName("SetRetention")
            .WithSummary("Keep the channel's messages N days (1 to 36500), or forever with days null (owner or admin).");
        channel.MapDelete("/", Reset).WithName("ResetRetention").WithSummary("Back to the global default (owner or admin).");
        app.MapPost("/api/admin/retention/run", Run).WithTags("Audit").WithName("RunRetention").RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .WithSummary("Run retention now (admins): deletes what is older than each channel's retention, as the hourly job does.");
        return app;
    }

    private static async Task<Ok<RetentionDto>> Get(Guid channelId, ClaimsPrincipal user, ChannelAccess access, IOptions<RetentionOptions> options,
        CancellationToken ct)
    {
        var (channel, _) = await access.ReadableAsync(channelId, user.Caller(), ct);
        return TypedResults.Ok(Describe(channel, options.Value));
    }

    private static async Task<Results<Ok<RetentionDto>, ValidationProblem>> Set(Guid channelId, RetentionRequest request, ClaimsPrincipal user,
        ChannelAccess access, ChatDbContext db, AuditLog audit, IOptions<RetentionOptions> options, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(channelId, user.Caller(), ct);
        if (request.Days is < 1 or > RetentionOptions.MaxDays)
        {
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["days"] = [$"1 to {RetentionOptions.MaxDays}, or null to keep messages forever."],
            });
        }
        channel.RetentionDays = request.Days ?? 0;
        return TypedResults.Ok(await SaveAsync(channel, user, db, audit, options.Value, ct));
    }

    private static async Task<Ok<RetentionDto>> Reset(Guid channelId, ClaimsPrincipal user, ChannelAccess access, ChatDbContext db, AuditLog audit,
        IOptions<RetentionOptions> options, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(channelId, user.Caller(), ct);
        channel.RetentionDays = null;
        return TypedResults.Ok(await SaveAsync(channel, user, db, audit, options.Value, ct));
    }

    private static async Task<RetentionDto> SaveAsync(Channel channel, ClaimsPrincipal user, ChatDbContext db, AuditLog audit, RetentionOptions options,
        CancellationToken ct)
    {
        await db.Channels.Where(c => c.Id == channel.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.RetentionDays, channel.RetentionDays), ct);
        var dto = Describe(channel, options);
        await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.RetentionChanged, AuditTargets.Channel, channel.Id,
            dto.Days is { } days ? $"{days} days ({dto.Source})" : $"forever ({dto.Source})"), ct);
        return dto;
    }

    private static async Task<Ok<RetentionRunResult>> Run(RetentionRunner runner, CancellationToken ct) => TypedResults.Ok(await runner.RunAsync(ct));

    private static RetentionDto Describe(Channel channel, RetentionOptions options) => channel.RetentionDays switch
    {
        null => new RetentionDto(channel.Id, options.DefaultDays, "default"),
        0 => new RetentionDto(channel.Id, null, "channel"),
        var days => new RetentionDto(channel.Id, days, "channel"),
    };
}
