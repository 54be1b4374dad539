using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Retention;

/// <summary>Message retention (section <c>Retention</c>): the global default and how often the job runs.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";
    public const int MaxDays = 36_500;

    /// <summary>Days a message is kept in channels without their own setting; null (the default) keeps messages forever.</summary>
    [Range(1, MaxDays)]
    public int? DefaultDays { get; set; }

    /// <summary>How often the retention job runs (also at start-up, after <see cref="FirstRunDelay"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The wait before the first run: a clean start stays quiet, and the other replicas are up.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan FirstRunDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Messages deleted per transaction.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;
}
