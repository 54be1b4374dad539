using System.ComponentModel.DataAnnotations;
using ChatAspire.ServiceDefaults.Http;

namespace Chat.AiWorker.Summaries;

/// <summary>Section <c>Ai:Summaries</c>: written "catch me up" summaries (a model is configured).</summary>
public sealed class SummaryOptions
{
    public const string SectionName = "Ai:Summaries";

    /// <summary>Summaries a person may ask for per minute (each is a model call over up to 30 messages).</summary>
    [Range(1, 10_000)]
    public int PerUserPerMinute { get; set; } = 10;

    /// <summary>How many of them may come at once, on top of the steady rate.</summary>
    [Range(1, 10_000)]
    public int PerUserBurst { get; set; } = 3;

    /// <summary>Summaries written at once by this worker; more wait their turn (the model is shared with assistant replies).</summary>
    [Range(1, 64)]
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>Characters of each message given to the model (longer ones are cut, with an ellipsis).</summary>
    [Range(100, 4000)]
    public int MessageCharacters { get; set; } = 600;

    /// <summary>PerUserPerMinute refilled once a minute, up to PerUserBurst at once.</summary>
    public TokenBucket Bucket => new(PerUserBurst, PerUserPerMinute, TimeSpan.FromMinutes(1));
}
