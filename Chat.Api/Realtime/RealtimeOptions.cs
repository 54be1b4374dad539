using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Realtime;

/// <summary>Real-time settings (section <c>Realtime</c>).</summary>
public sealed class RealtimeOptions : IValidatableObject
{
    public const string SectionName = "Realtime";

    /// <summary>
    /// Browser origins allowed to open the hub besides the API's own origin. A handshake carrying any other
    /// <c>Origin</c> is refused (cross-site WebSocket hijacking). Clients that send no Origin (native apps) are allowed.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AllowedOrigins.Where(o => !Uri.TryCreate(o, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            .Select(o => new ValidationResult($"'{o}' is not an origin (scheme://host[:port], nothing after it).", [nameof(AllowedOrigins)]));
}
