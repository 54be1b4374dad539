using ChatAspire.Contracts;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Bench;

/// <summary>The whole AppHost with local Postgres and Redis, throwaway data, no OTLP export and quiet logs.</summary>
internal static class BenchApp
{
    /// <summary>
    /// A bench's service environment plus settings to compare, from BENCH_SERVICE_ENV="KEY=value;KEY2=value"
    /// (e.g. DOTNET_gcServer=0, OTEL_METRIC_EXPORT_INTERVAL=60000), or from the variable named.
    /// </summary>
    public static Dictionary<string, string> WithExtraEnvironment(IReadOnlyDictionary<string, string> environment, string variable = "BENCH_SERVICE_ENV")
    {
        var result = new Dictionary<string, string>(environment);
        foreach (var pair in (Environment.GetEnvironmentVariable(variable) ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            result[pair.Split('=')[0]] = pair.Split('=', 2)[1];
        }
        return result;
    }

    public static Task<DistributedApplication> StartAsync(params string[] waitFor) => StartAsync(new Dictionary<string, string>(), waitFor);

    public static Task<DistributedApplication> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] waitFor) =>
        StartAsync(environment, telemetry: false, waitFor);

    /// <param name="environment">Extra environment for every service (e.g. a higher send limit).</param>
    /// <param name="telemetry">
    /// As a person runs it: OTLP export to the Aspire dashboard, the local Prometheus scraping at the AppHost's default
    /// interval (15 s), Information logs.
    /// Otherwise none of the three.
    /// </param>
    public static Task<DistributedApplication> StartAsync(IReadOnlyDictionary<string, string> environment, bool telemetry, params string[] waitFor) =>
        StartAsync(environment, telemetry, [], waitFor);

    /// <param name="monitoringArgs">When given, the AppHost's Prometheus runs with these settings (even with telemetry off).</param>
    public static async Task<DistributedApplication> StartAsync(IReadOnlyDictionary<string, string> environment, bool telemetry, string[] monitoringArgs,
        params string[] waitFor)
    {
        Console.WriteLine($"machine settled in {(await CpuAccount.SettleAsync()).TotalSeconds:F0} s");
        string[] args = telemetry
            ? ["--ChatAspire:Monitoring:Port=0", $"--AppHost:DashboardApiKey={DashboardApiKey}"]
            : monitoringArgs.Length > 0
                ? ["--ChatAspire:Monitoring:Port=0", .. monitoringArgs]
                : ["--ChatAspire:Monitoring:Enabled=false"];
        var builder = await ChatAppHost.CreateBuilderAsync(args, dashboard: telemetry);
        if (!telemetry)
        {
            builder.WithoutOtlpExport().WithServiceEnvironment(new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        }
        builder.WithServiceEnvironment(environment);
        // The bench's own HTTP clients log nothing below Warning: four console lines per request were written inside the
        // timed part of every search and upload.
        builder.Services.AddLogging(l => l.AddFilter("ChatAspire.AppHost.Resources", LogLevel.None).AddFilter("Aspire", LogLevel.Warning)
            .AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning));
        return await builder.StartAsync(waitFor);
    }

    /// <summary>The key of the dashboard's telemetry API (<c>/api/telemetry/…</c>) on AppHosts started with telemetry.</summary>
    private static readonly string DashboardApiKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// What the dashboard of an AppHost started with telemetry received since <paramref name="since"/>: spans by service and
    /// name, and log records by service and category, most first (what a load costs in telemetry, not only in speed).
    /// </summary>
    public static async Task<string> TelemetryVolumeAsync(DistributedApplication app, DateTimeOffset since)
    {
        using var http = new HttpClient { BaseAddress = ChatAppHost.EndpointUrl(app, "aspire-dashboard"), DefaultRequestHeaders = { { "x-api-key", DashboardApiKey } } };
        var from = since.ToUnixTimeMilliseconds() * 1_000_000;
        var seconds = (DateTimeOffset.UtcNow - since).TotalSeconds;
        IEnumerable<(string Resource, JsonElement Scope)> Scopes(JsonElement body, string resources, string scopes) =>
            body.GetProperty("data").GetProperty(resources).EnumerateArray().SelectMany(r => r.GetProperty(scopes).EnumerateArray().Select(s => (
                r.GetProperty("resource").GetProperty("attributes").EnumerateArray().Where(a => a.GetProperty("key").GetString() == "service.name")
                    .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString()!).FirstOrDefault() ?? "?", s)));
        var spans = Scopes(await http.GetFromJsonAsync<JsonElement>("/api/telemetry/spans?limit=1000000"), "resourceSpans", "scopeSpans")
            .SelectMany(x => x.Scope.GetProperty("spans").EnumerateArray()
                .Where(s => long.Parse(s.GetProperty("startTimeUnixNano").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= from)
                .Select(s => $"{x.Resource} {s.GetProperty("name").GetString()}"));
        var logs = Scopes(await http.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?limit=1000000"), "resourceLogs", "scopeLogs")
            .SelectMany(x => x.Scope.GetProperty("logRecords").EnumerateArray()
                .Where(l => long.Parse(l.GetProperty("timeUnixNano").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= from)
                .Select(_ => $"{x.Resource} {x.Scope.GetProperty("scope").GetProperty("name").GetString()}"));
        string Top(IEnumerable<string> keys) => string.Join(", ", keys.CountBy(k => k).OrderByDescending(g => g.Value).Take(12)
            .Select(g => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{g.Key} {g.Value / seconds:F1}/s")));
        return $"spans: {Top(spans)}\n  logs: {Top(logs)}";
    }

    /// <summary>Registers a user through the API; returns its id and access token.</summary>
    private const string Password = "benchmark password";

    public static async Task<(Guid Id, string Token)> RegisterAsync(DistributedApplication app, string prefix)
    {
        var (id, token, _) = await RegisterUserAsync(app, prefix);
        return (id, token);
    }

    /// <summary>A new account, with its user name for <see cref="LoginAsync"/> (access tokens expire within 15 minutes).</summary>
    public static async Task<(Guid Id, string Token, string UserName)> RegisterUserAsync(DistributedApplication app, string prefix)
    {
        using var api = app.CreateHttpClient(ResourceNames.Api);
        var userName = $"{prefix}-{Guid.NewGuid():N}"[..20];
        using var register = await api.PostAsJsonAsync("/api/auth/register", new { userName, password = Password });
        var body = await register.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("user").GetProperty("id").GetGuid(), body.GetProperty("tokens").GetProperty("accessToken").GetString()!, userName);
    }

    /// <summary>A fresh access token for an account made by <see cref="RegisterUserAsync"/>.</summary>
    public static async Task<string> LoginAsync(DistributedApplication app, string userName)
    {
        using var api = app.CreateHttpClient(ResourceNames.Api);
        using var login = await api.PostAsJsonAsync("/api/auth/login", new { userName, password = Password });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("accessToken").GetString()!;
    }

    public static HttpClient Client(DistributedApplication app, string resource, string token)
    {
        var client = app.CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.Timeout = TimeSpan.FromMinutes(5);
        return client;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
