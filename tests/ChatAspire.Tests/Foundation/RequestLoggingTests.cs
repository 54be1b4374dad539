using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Data;
using ChatAspire.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Tests.Foundation;

[Collection(ExclusiveCollection.Name)]
public sealed class RequestLoggingTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Every_response_carries_X_Response_Time()
    {
        using var client = fixture.CreateClient(ResourceNames.Api);

        using var api = await client.GetAsync("/api/channels");
        using var health = await client.GetAsync("/health");

        Assert.Matches(@"^\d+(\.\d+)?ms$", api.Headers.GetValues("X-Response-Time").Single());
        Assert.Matches(@"^\d+(\.\d+)?ms$", health.Headers.GetValues("X-Response-Time").Single());
    }

    [Fact]
    public async Task A_request_over_the_threshold_logs_slow_request_with_template_method_and_duration()
    {
        await using var api = await CreateApiAsync(new() { ["Observability:SlowRequestThreshold"] = "00:00:00" });
        using var client = api.CreateClient();

        await client.GetAsync($"/api/channels/{Guid.NewGuid()}");

        var slow = Assert.Single(api.Logs.Records, r => r.EventId.Name == "slow_request");
        Assert.Equal("/api/channels/{id}", slow.Fields["Endpoint"]);
        Assert.Equal("GET", slow.Fields["Method"]);
        Assert.IsType<double>(slow.Fields["DurationMs"]);
    }

    [Fact]
    public async Task A_fast_request_under_the_default_threshold_logs_nothing_slow()
    {
        await using var api = await CreateApiAsync([]);
        using var client = api.CreateClient();

        await client.GetAsync("/api/channels");

        Assert.DoesNotContain(api.Logs.Records, r => r.EventId.Name == "slow_request");
    }

    [Fact]
    public async Task A_query_over_100ms_logs_slow_query_with_sql_but_not_parameter_values()
    {
        await using var api = await CreateApiAsync([]);
        _ = api.CreateClient();
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        const string marker = "parameter-value-never-logged";

        await db.Database.ExecuteSqlAsync($"SELECT pg_sleep(0.15), {marker}");

        var slow = Assert.Single(api.Logs.Records, r => r.EventId.Name == "slow_query");
        Assert.Contains("pg_sleep", (string)slow.Fields["Sql"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, slow.Message, StringComparison.Ordinal);
        Assert.True((double)slow.Fields["DurationMs"]! >= 150);
        Assert.Equal("select", slow.Fields["Operation"]);
    }

    [Fact]
    public async Task A_slow_query_marked_as_upkeep_is_not_logged_and_the_mark_ends_with_its_scope()
    {
        await using var api = await CreateApiAsync([]);
        _ = api.CreateClient();
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();

        using (DatabaseQueryObserver.Upkeep())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_sleep(0.15), 'upkeep'");
        }
        Assert.DoesNotContain(api.Logs.Records, r => r.EventId.Name == "slow_query");

        // The other mark, for code that does not reference ServiceDefaults (the outbox's polls): EF Core's query tag.
        await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM pg_sleep(0.15)").TagWith(DatabaseQueryObserver.UpkeepTag).ToListAsync();
        Assert.DoesNotContain(api.Logs.Records, r => r.EventId.Name == "slow_query");

        await db.Database.ExecuteSqlAsync($"SELECT pg_sleep(0.15), 'after'");
        Assert.Single(api.Logs.Records, r => r.EventId.Name == "slow_query");
    }

    private async Task<ServiceFactory<ChatDbContext>> CreateApiAsync(Dictionary<string, string?> extra)
    {
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return new ServiceFactory<ChatDbContext>(settings);
    }
}
