using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>A thin client for the Prometheus HTTP API of the AppHost's Prometheus resource.</summary>
public sealed class PrometheusClient(HttpClient http) : IDisposable
{
    public static PrometheusClient For(DistributedApplication app)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<IResourceWithEndpoints>().Single(r => r.Name == "prometheus");
        return new PrometheusClient(new HttpClient { BaseAddress = new Uri(resource.GetEndpoint("http").Url) });
    }

    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>Runs an instant query; returns the raw API envelope (status, data, error).</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement[]> ResultAsync(string promql)
    {
        var body = await QueryAsync(promql);
        Assert.True(body.GetProperty("status").GetString() == "success", $"{promql}: {body}");
        return [.. body.GetProperty("data").GetProperty("result").EnumerateArray()];
    }

    public async Task<HashSet<string>> MetricNamesAsync()
    {
        var body = await http.GetFromJsonAsync<JsonElement>("/api/v1/label/__name__/values");
        return [.. body.GetProperty("data").EnumerateArray().Select(e => e.GetString()!)];
    }

    public async Task<JsonElement[]> AlertsAsync()
    {
        var body = await http.GetFromJsonAsync<JsonElement>("/api/v1/alerts");
        return [.. body.GetProperty("data").GetProperty("alerts").EnumerateArray()];
    }

    public void Dispose() => http.Dispose();
}
