using System.Net;
using System.Text.Json;
using ChatAspire.Tests.Ai;
using ChatAspire.Tests.Infrastructure;
using ChatAspire.Tests.Rag;
using Npgsql;
using StackExchange.Redis;

namespace ChatAspire.Tests.Operations;

/// <summary>
/// An AppHost of its own for tests that break a dependency (the shared one must stay healthy for every other test). A
/// class fixture inside the shared collection, so that it never starts at the same moment as another AppHost: two DCP
/// instances starting together can hand out the same ports.
/// </summary>
public sealed class IsolatedAppHost : IAsyncLifetime
{
    public AppHostFixture Host { get; } = new();

    public ValueTask InitializeAsync() => Host.InitializeAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

/// <summary>
/// Postgres is the truth: Redis restarting empty (ephemeral mode, as after a crash without persistence) loses neither
/// pending work (a document to ingest, a question to answer) nor a revocation.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class RedisRestartTests(IsolatedAppHost isolated) : IClassFixture<IsolatedAppHost>
{
    private readonly AppHostFixture fixture = isolated.Host;


    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_document_and_a_question_waiting_in_Redis_when_it_restarts_empty_are_both_handled_exactly_once()
    {
        var user = await ChatUsers.RegisterAsync(Api, "redis-loss");
        var channel = await user.CreateChannelAsync();
        // Nobody consumes while the work waits in Redis: the entries are published, then Redis forgets them.
        await fixture.App.StopAsync(ResourceNames.AiWorker);
        await fixture.App.StopAsync(ResourceNames.Rag);
        var restarted = false;
        try
        {
            await HandledAfterRestartAsync(user, channel);
            restarted = true;
        }
        finally
        {
            if (!restarted)
            {
                // Leave the collection's AppHost whole for the next test.
                await fixture.App.StartAsync(ResourceNames.Rag);
                await fixture.App.StartAsync(ResourceNames.AiWorker);
            }
        }
    }

    private async Task HandledAfterRestartAsync(ChatUser user, Guid channel)
    {
        var fileId = await fixture.UploadAsync(user, "handbook.md", RagSamples.Markdown($"# Handbook\n\nThe release train leaves on Thursdays {Guid.NewGuid():N}.\n"));
        var (jobId, questionId) = await AiScenario.AskAsync(user, channel, "When does the release train leave?");
        await Poll.UntilAsync(async () => await PublishedAsync(ResourceNames.FilesDb, fileId) && await PublishedAsync(ResourceNames.ChatDb, jobId),
            TimeSpan.FromSeconds(30), "both events to be on their streams");
        var redis = await RedisAsync();
        Assert.Contains((await redis.GetDatabase().StreamRangeAsync(AiJobs.Stream)), e => e["payload"].ToString().Contains(jobId.ToString(), StringComparison.Ordinal));

        await RestartRedisAsync(ResourceNames.Api, ResourceNames.Files);
        Assert.DoesNotContain((await redis.GetDatabase().StreamRangeAsync(AiJobs.Stream)), e => e["payload"].ToString().Contains(jobId.ToString(), StringComparison.Ordinal));

        await fixture.App.StartAsync(ResourceNames.Rag);
        await fixture.App.StartAsync(ResourceNames.AiWorker);
        using var rag = fixture.ProxyClient(ResourceNames.Rag);
        rag.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        await Poll.UntilAsync(async () =>
        {
            using var response = await rag.GetAsync($"/api/rag/documents/by-file/{fileId}");
            return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == "ready";
        }, TimeSpan.FromSeconds(120), "the document to be ingested");
        await Poll.UntilAsync(async () => (await user.HistoryAsync(channel)).Any(IsReplyTo(questionId)), TimeSpan.FromSeconds(120), "the question to be answered");
        using var http = user.Http();
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString() == "completed",
            TimeSpan.FromSeconds(30), "the job to be completed");

        // Exactly once: one reply, one document with one set of chunks, and nothing left unsettled in either outbox.
        await Poll.UntilAsync(async () => await UnsettledAsync(ResourceNames.FilesDb) == 0 && await UnsettledAsync(ResourceNames.ChatDb) == 0,
            TimeSpan.FromSeconds(60), "every outbox row to be settled");
        Assert.Single(await user.HistoryAsync(channel), m => IsReplyTo(questionId)(m));
        await using var ragDb = new NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.RagDb));
        await ragDb.OpenAsync();
        await using var documents = new NpgsqlCommand("""SELECT count(*) FROM documents WHERE "FileId" = @id""", ragDb);
        documents.Parameters.AddWithValue("id", fileId);
        Assert.Equal(1L, (long)(await documents.ExecuteScalarAsync())!);
        await using var chunks = new NpgsqlCommand("""
            SELECT count(*) - count(DISTINCT c."Ordinal") FROM chunks c JOIN documents d ON d."Sha256" = c."Sha256" WHERE d."FileId" = @id
            """, ragDb);
        chunks.Parameters.AddWithValue("id", fileId);
        Assert.Equal(0L, (long)(await chunks.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_revoked_token_stays_refused_by_every_service_after_Redis_restarts_empty()
    {
        var user = await ChatUsers.RegisterAsync(Api, "redis-revoke");
        using (var http = user.Http())
        {
            using var logout = await http.PostAsync("/api/auth/logout", null);
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }
        Assert.All(await StatusesAsync(user.Token), s => Assert.Equal(HttpStatusCode.Unauthorized, s));

        await RestartRedisAsync();

        // From the moment Redis is back, the signed-out token is refused everywhere (it never works again) ...
        for (var i = 0; i < 10; i++)
        {
            Assert.All(await StatusesAsync(user.Token), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        }
        // ... while a new sign-in works everywhere once Chat.Api has loaded the list into Redis again.
        var again = await ChatUsers.LoginAsync(Api, user.UserName);
        await Poll.UntilAsync(async () => (await StatusesAsync(again.Token)).All(s => s == HttpStatusCode.OK), TimeSpan.FromSeconds(30),
            "a fresh token to be accepted by every service");
        Assert.All(await StatusesAsync(user.Token), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
    }

    [Fact]
    public async Task A_Redis_outage_raises_DependencyUnhealthy_for_redis_and_everything_is_ready_again_after_it()
    {
        using var prometheus = PrometheusClient.For(fixture.App);
        await fixture.App.StopAsync(ResourceNames.Redis);
        try
        {
            var alerted = await Poll.EventuallyAsync(async () =>
                (await prometheus.AlertsAsync()).Any(a =>
                    a.GetProperty("labels").GetProperty("alertname").GetString() == "DependencyUnhealthy"
                    && a.GetProperty("labels").GetProperty("check").GetString() == "redis"
                    && a.GetProperty("state").GetString() is "pending" or "firing"),
                TimeSpan.FromSeconds(60));
            Assert.True(alerted, "no DependencyUnhealthy alert for redis: " + string.Join("\n", (await prometheus.AlertsAsync()).Select(a => a.ToString())));
        }
        finally
        {
            await fixture.App.StartAsync(ResourceNames.Redis);
        }
        foreach (var service in ResourceNames.Services)
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(service).WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    private static Func<JsonElement, bool> IsReplyTo(Guid messageId) => m => m.GetProperty("type").GetString() == "ai"
        && m.TryGetProperty("replyToId", out var r) && r.ValueKind == JsonValueKind.String && r.GetGuid() == messageId;

    /// <summary>What Chat.Api, Chat.Files and the RAG service answer to a read with <paramref name="token"/>.</summary>
    private async Task<HttpStatusCode[]> StatusesAsync(string token)
    {
        var calls = new (string Resource, string Path)[] { (ResourceNames.Api, "/api/channels"), (ResourceNames.Files, "/api/files"), (ResourceNames.Rag, "/api/rag/documents") };
        var statuses = new List<HttpStatusCode>();
        foreach (var (resource, path) in calls)
        {
            using var client = fixture.ProxyClient(resource);
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var response = await client.GetAsync(path);
            statuses.Add(response.StatusCode);
        }
        return [.. statuses];
    }

    /// <summary>Stops Redis and starts it again (empty: ephemeral mode keeps no data), then waits for the running services to be ready.</summary>
    private async Task RestartRedisAsync(params string[] running)
    {
        await fixture.App.StopAsync(ResourceNames.Redis);
        await fixture.App.StartAsync(ResourceNames.Redis);
        foreach (var service in running.Length > 0 ? running : ResourceNames.Services)
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(service).WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    private async Task<ConnectionMultiplexer> RedisAsync() => await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis));

    private async Task<bool> PublishedAsync(string database, Guid id)
    {
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM outbox WHERE "PublishedAt" IS NOT NULL AND "Payload"::text LIKE @id""", connection);
        command.Parameters.AddWithValue("id", $"%{id}%");
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private async Task<long> UnsettledAsync(string database)
    {
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM outbox WHERE "SettledAt" IS NULL""", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
