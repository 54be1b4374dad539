using ChatAspire.Messaging;

namespace Chat.RagService.Memory;

/// <summary>Section <c>Rag:Memory</c>: the message index.</summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Rag:Memory";

    /// <summary>
    /// Consumer-group settings for <c>chat:messages</c>: two events embedded at a time (each a group commit's messages),
    /// up to 16 read at once.
    /// </summary>
    public StreamConsumerOptions Stream { get; set; } = new() { Concurrency = 2, BatchSize = 16 };

    /// <summary>
    /// The most CPU (in cores, on average) indexing messages may take: after each event the consumer waits in proportion
    /// to what it used. Ordinary traffic stays far below it and is searchable within a second; a flood is indexed at this
    /// pace while the chat keeps the rest (the page finds what is not indexed yet by its words).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0.05, 64)]
    public double MaxCores { get; set; } = 1;
}
