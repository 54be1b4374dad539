using System.ComponentModel.DataAnnotations;
using ChatAspire.Contracts;
using ChatAspire.Messaging;

namespace Chat.AiWorker.Jobs;

/// <summary>Section <c>Ai:Worker</c>: consuming the job stream and building context.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Ai:Worker";

    [Required]
    public string StreamName { get; set; } = AiJobs.Stream;

    [Required]
    public string Group { get; set; } = "aiworker";

    /// <summary>Attempts before a job is parked, idle time before a crashed worker's job is taken over.</summary>
    public StreamConsumerOptions Stream { get; set; } = new() { BatchSize = 1, MaxAttempts = 3, ClaimIdle = TimeSpan.FromSeconds(30) };

    /// <summary>Recent channel messages read as context (then cut to a token budget).</summary>
    [Range(0, 100)]
    public int HistoryMessages { get; set; } = 20;

    /// <summary>Document passages retrieved from the RAG service.</summary>
    [Range(0, 20)]
    public int Sources { get; set; } = 5;

    /// <summary>Earlier messages of the channel retrieved from the team memory (beyond the recent history above).</summary>
    [Range(0, 20)]
    public int MessageSources { get; set; } = 3;
}
