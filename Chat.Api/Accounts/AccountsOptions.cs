using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Accounts;

/// <summary>Account settings (section <c>Accounts</c>).</summary>
public sealed class AccountsOptions
{
    public const string SectionName = "Accounts";

    /// <summary>Whoever registers with this name becomes admin (besides the very first account).</summary>
    public string? AdminUserName { get; set; }

    public bool AllowRegistration { get; set; } = true;

    /// <summary>Failed logins per user name before further attempts are refused for <see cref="LockoutWindow"/>.</summary>
    [Range(1, 100)]
    public int MaxFailedLogins { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Requests to <c>/api/auth/*</c> per client address per minute, across replicas (a token bucket in Redis; slows password guessing across user names).</summary>
    [Range(1, 1_000_000)]
    public int AuthRequestsPerMinute { get; set; } = 60;
}
