using System.Text.Json;
using Chat.Api.Data;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Api.Messages;

/// <summary>
/// The one place that tells the message index (the RAG service's team memory) what happened to message text: sends and
/// edits as <see cref="MessagesWritten"/>, deletions and retention as <see cref="MessagesRemoved"/>. Each event is an
/// outbox row written in the transaction of the change, so the index learns exactly what was committed, even across
/// crashes and Redis restarts; the outbox publisher carries the rows to <see cref="MessageIndexEvents.Stream"/>.
/// Sends cost one row per group commit, not one per message.
/// </summary>
public sealed class MessageIndexFeed([FromKeyedServices(MessageIndexEvents.Stream)] OutboxPublisher<ChatDbContext> publisher,
    StackExchange.Redis.IConnectionMultiplexer redis)
{
    /// <summary>What people, bots and the assistant write is remembered; system notices are not.</summary>
    public static bool Indexed(string type) => type is MessageTypes.User or MessageTypes.Ai or MessageTypes.Bot or MessageTypes.Command;

    public static IndexedMessage Describe(Message m, IReadOnlyDictionary<Guid, string> names) =>
        new(m.Id, m.ChannelId, m.Seq, m.SenderId, m.AuthorName ?? names.GetValueOrDefault(m.SenderId, ""), m.ReplyToId, m.Content, m.CreatedAt,
            m.EditedAt ?? m.CreatedAt);

    /// <summary>
    /// The outbox row for messages just written (sent or edited), one for all of them (a group commit's many channels);
    /// none when nothing is indexed. <paramref name="names"/> holds the senders' display names.
    /// </summary>
    public static IEnumerable<OutboxMessage> Written(IEnumerable<Message> messages, IReadOnlyDictionary<Guid, string> names)
    {
        var indexed = messages.Where(m => Indexed(m.Type) && m.DeletedAt is null).OrderBy(m => m.ChannelId).ThenBy(m => m.Seq).ToList();
        return indexed.Count == 0 ? [] : [OutboxMessage.For(new MessagesWritten([.. indexed.Select(m => Describe(m, names))]))];
    }

    /// <summary>
    /// Before an edit or a deletion commits: searches leave these messages out until the index has their change
    /// (<see cref="MessageIndexEvents.StaleKey"/>), so text that is no longer there is never shown, not even for the second
    /// the change takes to reach the index.
    /// </summary>
    public async Task MarkStaleAsync(IEnumerable<Guid> messageIds, DateTimeOffset changedAt)
    {
        var db = redis.GetDatabase();
        await Task.WhenAll(messageIds.Select(id => db.StringSetAsync(MessageIndexEvents.StaleKey(id), changedAt.UtcTicks, MessageIndexEvents.StaleFor)));
    }

    /// <summary>The outbox row for messages of a channel just deleted.</summary>
    public static OutboxMessage Removed(Guid channelId, IReadOnlyList<Guid> messageIds, DateTimeOffset at) =>
        OutboxMessage.For(new MessagesRemoved(channelId, messageIds, at));

    /// <summary>The same rows as one statement of the group commit's own batch (it writes through Npgsql, not EF).</summary>
    public static NpgsqlBatchCommand? InsertCommand(IEnumerable<Message> messages, IReadOnlyDictionary<Guid, string> names)
    {
        var rows = Written(messages, names).ToArray();
        if (rows.Length == 0)
        {
            return null;
        }
        var command = new NpgsqlBatchCommand("""
            INSERT INTO outbox ("Id", "Type", "Payload", "TraceParent", "CreatedAt")
            SELECT v.id, v.type, v.payload::jsonb, v.trace, v.created FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
              AS v(id, type, payload, trace, created)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Type).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Payload).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.TraceParent).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.CreatedAt).ToArray() });
        return command;
    }

    /// <summary>Wakes the publisher after a commit that wrote rows (instead of its next poll).</summary>
    public void Committed() => publisher.Notify();
}
