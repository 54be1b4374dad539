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
/// A send costs one row per channel per group commit, not one per message.
/// </summary>
public sealed class MessageIndexFeed([FromKeyedServices(MessageIndexEvents.Stream)] OutboxPublisher<ChatDbContext> publisher)
{
    /// <summary>What people, bots and the assistant write is remembered; system notices are not.</summary>
    public static bool Indexed(string type) => type is MessageTypes.User or MessageTypes.Ai or MessageTypes.Bot or MessageTypes.Command;

    public static IndexedMessage Describe(Message m) =>
        new(m.Id, m.ChannelId, m.Seq, m.SenderId, m.ReplyToId, m.Content, m.CreatedAt, m.EditedAt ?? m.CreatedAt);

    /// <summary>Outbox rows for messages just written (sent or edited), one per channel; none when nothing is indexed.</summary>
    public static IEnumerable<OutboxMessage> Written(IEnumerable<Message> messages) =>
        messages.Where(m => Indexed(m.Type) && m.DeletedAt is null).GroupBy(m => m.ChannelId)
            .Select(g => OutboxMessage.For(new MessagesWritten(g.Key, [.. g.OrderBy(m => m.Seq).Select(Describe)])));

    /// <summary>The outbox row for messages of a channel just deleted.</summary>
    public static OutboxMessage Removed(Guid channelId, IReadOnlyList<Guid> messageIds, DateTimeOffset at) =>
        OutboxMessage.For(new MessagesRemoved(channelId, messageIds, at));

    /// <summary>The same rows as one statement of the group commit's own batch (it writes through Npgsql, not EF).</summary>
    public static NpgsqlBatchCommand? InsertCommand(IEnumerable<Message> messages)
    {
        var rows = Written(messages).ToArray();
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
