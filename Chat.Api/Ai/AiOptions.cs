using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Ai;

/// <summary>Section <c>Ai</c> of Chat.Api: how assistant requests are accepted.</summary>
public sealed class AiOptions
{
    public const string SectionName = "Ai";

    /// <summary>Unfinished jobs allowed at once; beyond it users are told the assistant is busy (back-pressure).</summary>
    [Range(1, 100_000)]
    public int MaxQueuedJobs { get; set; } = 50;

    /// <summary>An unfinished job older than this no longer counts against the queue (its worker died and it was parked).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(30);
}
