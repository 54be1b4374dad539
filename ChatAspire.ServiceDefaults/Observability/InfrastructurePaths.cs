using Microsoft.AspNetCore.Http;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>Health and metrics endpoints: served everywhere, but kept out of traces and HTTP metrics.</summary>
public static class InfrastructurePaths
{
    public const string Health = "/health";
    public const string Ready = "/health/ready";
    public const string Live = "/health/live";
    public const string Metrics = "/metrics";

    public static bool IsInfrastructure(PathString path) =>
        path.StartsWithSegments(Health, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(Metrics, StringComparison.OrdinalIgnoreCase);
}
