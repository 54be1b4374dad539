using System.Collections.Concurrent;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Api.Realtime;

/// <summary>
/// The hub connections of this replica by sign-in, so that a revoked session (logout, refresh-token reuse) or a user whose
/// tokens were revoked (role change, account disabled) loses its open connections within moments, on every replica:
/// <see cref="TokenRevocations"/> announces each revocation over Redis.
/// </summary>
public sealed partial class HubSessions : IHostedService
{
    private readonly ConcurrentDictionary<string, Entry> _connections = new();
    private readonly TokenRevocations _revocations;
    private readonly ILogger<HubSessions> _logger;

    public HubSessions(TokenRevocations revocations, ILogger<HubSessions> logger)
    {
        (_revocations, _logger) = (revocations, logger);
    }

    private sealed record Entry(Guid UserId, Guid SessionId, int Version, HubCallerContext Context);

    public void Opened(HubCallerContext context)
    {
        if (TokenIdentity.Read(context.User) is { } token)
        {
            _connections[context.ConnectionId] = new Entry(token.UserId, token.SessionId, token.Version, context);
        }
    }

    public void Closed(HubCallerContext context) => _connections.TryRemove(context.ConnectionId, out _);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _revocations.Revoked += OnRevoked;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _revocations.Revoked -= OnRevoked;
        return Task.CompletedTask;
    }

    private void OnRevoked(Revocation revocation)
    {
        foreach (var (id, entry) in _connections)
        {
            var revoked = (revocation.SessionId is { } session && session == entry.SessionId && session != Guid.Empty)
                || (revocation.UserId is { } user && user == entry.UserId && entry.Version < revocation.UserTokenVersion);
            if (revoked && _connections.TryRemove(id, out _))
            {
                LogConnectionRevoked(_logger, entry.UserId, id);
                entry.Context.Abort();
            }
        }
    }

    [LoggerMessage(EventId = 2102, EventName = "hub_connection_revoked", Level = LogLevel.Information,
        Message = "hub_connection_revoked: connection {ConnectionId} of user {UserId} closed, its token was revoked")]
    private static partial void LogConnectionRevoked(ILogger logger, Guid userId, string connectionId);
}
