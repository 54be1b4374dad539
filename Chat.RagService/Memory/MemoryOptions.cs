using ChatAspire.Messaging;

namespace Chat.RagService.Memory;

/// <summary>Section <c>Rag:Memory</c>: the message index.</summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Rag:Memory";

    /// <summary>
    /// Consumer-group settings for <c>chat:messages</c>. Two channels' events are embedded at a time; one channel's stay in
    /// order. A read takes up to 16 events (each is a group commit's messages of one channel).
    /// </summary>
    public StreamConsumerOptions Stream { get; set; } = new() { Concurrency = 2, BatchSize = 16 };
}
