using System.Text.Json;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>A span as the Aspire dashboard holds it.</summary>
public sealed record DashboardSpan(string Resource, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind, long StartUnixNano);

/// <summary>A log record as the Aspire dashboard holds it (severity numbers: 13–16 warning, 17 and above error).</summary>
public sealed record DashboardLog(string Resource, int Severity, string Text, string? EventName, string Scope, DateTimeOffset Time);

/// <summary>
/// The Aspire dashboard's HTTP telemetry API (<c>/api/telemetry/…</c>, header <c>x-api-key</c>; OTLP JSON): what a person
/// sees in the dashboard, read by a test. The AppHost hands the key to the dashboard from <c>AppHost:DashboardApiKey</c>.
/// </summary>
public sealed class DashboardClient(Uri baseAddress, string apiKey) : IDisposable
{
    /// <summary>The list endpoints return the latest 200 records unless asked for more: a test reads everything the dashboard holds.</summary>
    private const int Everything = 1_000_000;

    private readonly HttpClient _http = new() { BaseAddress = baseAddress, DefaultRequestHeaders = { { "x-api-key", apiKey } } };

    public async Task<IReadOnlyList<DashboardLog>> LogsAsync()
    {
        var logs = new List<DashboardLog>();
        foreach (var resource in (await GetAsync($"/api/telemetry/logs?limit={Everything}")).GetProperty("data").GetProperty("resourceLogs").EnumerateArray())
        {
            var name = ServiceName(resource);
            foreach (var scope in resource.GetProperty("scopeLogs").EnumerateArray())
            {
                var scopeName = scope.GetProperty("scope").GetProperty("name").GetString() ?? "";
                foreach (var record in scope.GetProperty("logRecords").EnumerateArray())
                {
                    logs.Add(new DashboardLog(name, record.TryGetProperty("severityNumber", out var s) ? s.GetInt32() : 0,
                        record.TryGetProperty("body", out var body) ? body.ToString() : "",
                        record.TryGetProperty("eventName", out var e) ? e.GetString() : null, scopeName,
                        DateTimeOffset.UnixEpoch.AddTicks(long.Parse(record.GetProperty("timeUnixNano").GetString()!) / 100)));
                }
            }
        }
        return logs;
    }

    public async Task<IReadOnlyList<DashboardSpan>> SpansAsync(string? traceId = null)
    {
        var path = traceId is null ? $"/api/telemetry/spans?limit={Everything}" : $"/api/telemetry/traces/{traceId}";
        using var response = await _http.GetAsync(path);
        if (traceId is not null && response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        var spans = new List<DashboardSpan>();
        foreach (var resource in JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var name = ServiceName(resource);
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new DashboardSpan(name, span.GetProperty("traceId").GetString()!, span.GetProperty("spanId").GetString()!,
                        span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null, span.GetProperty("name").GetString()!,
                        span.TryGetProperty("kind", out var kind) ? kind.GetInt32() : 0, long.Parse(span.GetProperty("startTimeUnixNano").GetString()!)));
                }
            }
        }
        return spans;
    }

    private async Task<JsonElement> GetAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{pathAndQuery}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string ServiceName(JsonElement resource) =>
        resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == "service.name").Select(a => a.GetProperty("value").GetProperty("stringValue").GetString()!)
            .FirstOrDefault() ?? "";

    public void Dispose() => _http.Dispose();
}
