using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.Api;

/// <summary>Chat.Api's activity source and the seed guide's chat metrics.</summary>
public sealed class ChatTelemetry
{
    public const string Name = "ChatAspire.Chat.Api";

    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _messagesSent;
    private readonly UpDownCounter<long> _connectionsActive;
    private readonly Counter<long> _websocketMessages;
    private readonly Counter<long> _connectionAttempts;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _hubRefusals;
    private readonly Counter<long> _channelsCreated;

    public ChatTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _messagesSent = meter.CreateCounter<long>("chat_messages_sent", description: "Chat messages persisted, by sender role and message type.");
        _connectionsActive = meter.CreateUpDownCounter<long>("websocket_connections_active", description: "Open hub connections on this replica.");
        _websocketMessages = meter.CreateCounter<long>("websocket_messages", description: "Hub messages received from (in) and sent to (out) clients.");
        _connectionAttempts = meter.CreateCounter<long>("websocket_connection_attempts", description: "Hub connection attempts by outcome (success, failure).");
        _cacheHits = meter.CreateCounter<long>("cache_hits", description: "Cache lookups answered from the cache, by cache.");
        _cacheMisses = meter.CreateCounter<long>("cache_misses", description: "Cache lookups that had to load, by cache.");
        _hubRefusals = meter.CreateCounter<long>("hub_call_refusals", description: "Hub calls refused by the chat rules, by kind (not errors: the caller was told why).");
        _channelsCreated = meter.CreateCounter<long>("chat_channels_created", description: "Channels created, by kind (public, private, direct).");
        meter.CreateObservableGauge("active_users", () => ActiveUsers, description: "Users with at least one live hub connection on any replica.");
    }

    /// <summary>Set by the presence heartbeat; read by the <c>active_users</c> gauge.</summary>
    public long ActiveUsers { get; set; }

    public void MessageSent(string userRole, string messageType) =>
        _messagesSent.Add(1, new TagList { { "user_role", userRole }, { "message_type", messageType } });

    public void ChannelCreated(string kind) => _channelsCreated.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void ConnectionOpened()
    {
        _connectionsActive.Add(1);
        _connectionAttempts.Add(1, new KeyValuePair<string, object?>("outcome", "success"));
    }

    public void ConnectionClosed() => _connectionsActive.Add(-1);

    public void ConnectionRejected() => _connectionAttempts.Add(1, new KeyValuePair<string, object?>("outcome", "failure"));

    public void HubMessage(string direction) => _websocketMessages.Add(1, new KeyValuePair<string, object?>("direction", direction));

    public void HubCallRefused(ChatErrorKind kind) => _hubRefusals.Add(1, new KeyValuePair<string, object?>("kind", kind switch
    {
        ChatErrorKind.Invalid => "invalid",
        ChatErrorKind.NotFound => "not_found",
        ChatErrorKind.Forbidden => "forbidden",
        ChatErrorKind.Conflict => "conflict",
        ChatErrorKind.RateLimited => "rate_limited",
        _ => "unavailable",
    }));

    public void CacheLookup(string cache, bool hit) =>
        (hit ? _cacheHits : _cacheMisses).Add(1, new KeyValuePair<string, object?>("cache", cache));
}
