using Microsoft.Extensions.Logging;
using System.Text.Json;
using Chat.Api.Data;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Foundation;

[Collection(ExclusiveCollection.Name)]
public sealed class HealthTests(AppHostFixture fixture)
{
    public static TheoryData<string, string[]> ServiceDependencies => new()
    {
        { ResourceNames.Api, ["postgres", "redis"] },
        { ResourceNames.Files, ["postgres", "redis"] },
        { ResourceNames.Rag, ["postgres", "redis"] },
        { ResourceNames.AiWorker, ["ai_provider", "redis"] },
    };

    [Theory]
    [MemberData(nameof(ServiceDependencies))]
    public async Task Ready_returns_200_and_lists_every_dependency_as_healthy(string service, string[] dependencies)
    {
        using var client = fixture.CreateClient(service);

        using var response = await client.GetAsync("/health/ready");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks");
        Assert.Equal(dependencies.Order(), checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("healthy", c.Value.GetProperty("status").GetString()));
    }

    [Theory]
    [MemberData(nameof(ServiceDependencies))]
    public async Task Health_reports_status_timestamp_and_version_and_live_answers(string service, string[] dependencies)
    {
        _ = dependencies;
        using var client = fixture.CreateClient(service);

        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        using var live = await client.GetAsync("/health/live");

        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.True(DateTimeOffset.TryParse(health.GetProperty("timestamp").GetString(), out var timestamp));
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.False(string.IsNullOrWhiteSpace(health.GetProperty("version").GetString()));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task With_redis_unreachable_ready_is_503_naming_redis_while_live_stays_200()
    {
        await using var api = new ServiceFactory<ChatDbContext>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:chatdb"] = await fixture.ConnectionStringAsync(ResourceNames.ChatDb),
            // Nothing listens on port 1: a dead Redis.
            ["ConnectionStrings:cache"] = "127.0.0.1:1,connectTimeout=500,syncTimeout=500,password=secret-not-shown",
        });
        using var client = api.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        using var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("not_ready", json.GetProperty("status").GetString());
        Assert.Equal("unhealthy", json.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("healthy", json.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.DoesNotContain("secret-not-shown", body, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task With_postgres_unreachable_ready_names_postgres_without_leaking_the_connection_string()
    {
        await using var api = new ServiceFactory<ChatDbContext>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:chatdb"] = "Host=127.0.0.1;Port=1;Database=chatdb;Username=postgres;Password=pg-secret-not-shown;Timeout=1",
            ["ConnectionStrings:cache"] = await fixture.ConnectionStringAsync(ResourceNames.Redis),
        });
        // A dead database would keep the start-up migration retrying; readiness is all this test needs.
        using var client = api.WithWebHostBuilder(b => b.ConfigureServices(services => services.Remove(
            services.Single(d => d.ImplementationType?.Name.StartsWith("MigrationHostedService", StringComparison.Ordinal) == true)))).CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();

        Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable,
            $"{ready.StatusCode}: {body}\n" + string.Join("\n", api.Logs.Records.Where(r => r.Level >= LogLevel.Error).Select(r => r.Message)));
        var checks = JsonDocument.Parse(body).RootElement.GetProperty("checks");
        Assert.Equal("unhealthy", checks.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("redis").GetProperty("status").GetString());
        Assert.DoesNotContain("pg-secret-not-shown", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Port=1", body, StringComparison.Ordinal);
    }
}
