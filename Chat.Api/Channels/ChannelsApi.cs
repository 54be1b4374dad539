using Chat.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Channels;

internal static class ChannelsApi
{
    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/channels").WithTags("Channels");
        group.MapGet("/", ListChannels).WithName("ListChannels").WithSummary("Channels, newest first.");
        group.MapGet("/{id:guid}", GetChannel).WithName("GetChannel").WithSummary("One channel.");
        return app;
    }

    private static async Task<Ok<ChannelDto[]>> ListChannels(ChatDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.Channels.AsNoTracking().OrderByDescending(c => c.CreatedAt).Take(100)
            .Select(c => new ChannelDto(c.Id, c.Name, c.CreatedAt)).ToArrayAsync(ct));

    private static async Task<Results<Ok<ChannelDto>, NotFound>> GetChannel(Guid id, ChatDbContext db, CancellationToken ct) =>
        await db.Channels.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct) is { } channel
            ? TypedResults.Ok(ChannelDto.From(channel))
            : TypedResults.NotFound();
}
