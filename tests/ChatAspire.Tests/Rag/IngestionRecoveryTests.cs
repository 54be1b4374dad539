using System.Text.Json;
using Chat.RagService.Data;
using ChatAspire.Tests.Files;
using ChatAspire.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace ChatAspire.Tests.Rag;

/// <summary>
/// In-process RAG instances on their own database and stream, so the test can stop one mid-ingestion (the
/// "crash": its entry stays pending) and start another that reclaims the entry and finishes exactly once.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class IngestionRecoveryTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_service_stopped_mid_ingestion_is_replaced_and_the_document_is_finished_exactly_once_and_poison_events_are_parked()
    {
        var stream = $"test:files:{Guid.NewGuid():N}";
        var settings = await SettingsAsync(stream);
        var user = await ChatUsers.RegisterAsync(fixture.ProxyClient(ResourceNames.Api).BaseAddress!, "rag-crash");
        var bytes = RagSamples.LongText(12_000, "crash");
        var (fileId, sha) = await UploadAndAnnounceAsync(stream, user, "long.txt", "text/plain", bytes);
        var redis = (await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis))).GetDatabase();

        // 1. The first instance starts embedding, then is stopped before it can finish.
        await using (var first = new ServiceFactory<RagDbContext>(settings))
        {
            _ = first.CreateClient();
            await Poll.UntilAsync(async () => await StatusAsync(first, fileId) == "Embedding", TimeSpan.FromSeconds(90), "embedding to start");
        }
        var pending = await redis.StreamPendingAsync(stream, "rag");
        Assert.Equal(1, pending.PendingMessageCount);

        // 2. A replacement reclaims the idle entry and finishes the document: one document, one set of chunks.
        await using var second = new ServiceFactory<RagDbContext>(settings);
        _ = second.CreateClient();
        await Poll.UntilAsync(async () => await StatusAsync(second, fileId) == "Ready", TimeSpan.FromSeconds(180), "the document to be ready");
        await using (var scope = second.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
            var document = await db.Documents.SingleAsync(d => d.FileId == fileId);
            var ordinals = await db.Chunks.Where(c => c.Sha256 == sha).Select(c => c.Ordinal).ToListAsync();
            Assert.True(document.ChunkCount > 10);
            Assert.Equal(document.ChunkCount, ordinals.Count);
            Assert.Equal(Enumerable.Range(0, ordinals.Count), ordinals.Order());
        }
        await Poll.UntilAsync(async () => (await redis.StreamPendingAsync(stream, "rag")).PendingMessageCount == 0, TimeSpan.FromSeconds(30), "the entry to be acknowledged");

        // 3. An event that can never be handled is retried, then parked with its reason; later events still flow.
        var poison = await redis.StreamAddAsync(stream, [new("type", FileEvents.Uploaded), new("payload", "{not json")]);
        await Poll.UntilAsync(async () => (await redis.StreamRangeAsync($"{stream}:parked")).Any(e => e["id"] == poison), TimeSpan.FromSeconds(60), "the poison entry to be parked");
        var parked = (await redis.StreamRangeAsync($"{stream}:parked")).Single(e => e["id"] == poison);
        Assert.StartsWith("JsonException", parked["reason"].ToString(), StringComparison.Ordinal);
        Assert.Equal(0, (await redis.StreamPendingAsync(stream, "rag")).PendingMessageCount);
        Assert.Contains(second.Logs.Records, r => r.EventId.Name == "stream_entry_parked");
    }

    [Fact]
    public async Task Changing_the_embedding_model_re_embeds_every_document_at_the_next_start()
    {
        var stream = $"test:files:{Guid.NewGuid():N}";
        var settings = await SettingsAsync(stream);
        var user = await ChatUsers.RegisterAsync(fixture.ProxyClient(ResourceNames.Api).BaseAddress!, "rag-model");
        var bytes = RagSamples.Markdown($"# Notes\n\nThe model may change {Guid.NewGuid():N}.\n");
        var (fileId, sha) = await UploadAndAnnounceAsync(stream, user, "notes.md", "text/markdown", bytes);

        await using (var minilm = new ServiceFactory<RagDbContext>(settings))
        {
            _ = minilm.CreateClient();
            await Poll.UntilAsync(async () => await StatusAsync(minilm, fileId) == "Ready", TimeSpan.FromSeconds(90), "the first indexing");
        }

        // Restart with another embedding provider (an OpenAI-compatible server): the document is embedded again.
        await using var model = await FakeModelServer.StartAsync();
        settings["Rag:Embeddings:Provider"] = "openai";
        settings["Rag:Embeddings:Endpoint"] = model.OpenAiEndpoint.ToString();
        settings["Rag:Embeddings:Model"] = "fake-embed";
        settings["Rag:Embeddings:ApiKey"] = "test-key";
        await using var openai = new ServiceFactory<RagDbContext>(settings);
        _ = openai.CreateClient();
        await Poll.UntilAsync(async () =>
        {
            await using var scope = openai.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
            return await db.Documents.AnyAsync(d => d.FileId == fileId && d.Model == "openai:fake-embed" && d.Status == global::Chat.RagService.Documents.DocumentStatus.Ready);
        }, TimeSpan.FromSeconds(60), "re-embedding with the new model");
        await using (var scope = openai.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
            Assert.All(await db.Chunks.Where(c => c.Sha256 == sha).ToListAsync(), c => Assert.Equal("openai:fake-embed", c.Model));
        }
        Assert.True(model.EmbeddingRequests > 0);
    }

    /// <summary>Uploads through Chat.Files, then puts the FileUploaded event on this test's own stream.</summary>
    private async Task<(Guid FileId, string Sha256)> UploadAndAnnounceAsync(string stream, ChatUser user, string name, string contentType, byte[] bytes)
    {
        var fileId = await fixture.UploadAsync(user, name, bytes);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var redis = (await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis))).GetDatabase();
        await redis.StreamAddAsync(stream, [new("type", FileEvents.Uploaded),
            new("payload", JsonSerializer.Serialize(new FileUploaded(fileId, user.Id, name, contentType, bytes.Length, sha), JsonSerializerOptions.Web))]);
        return (fileId, sha);
    }

    private async Task<Dictionary<string, string?>> SettingsAsync(string stream)
    {
        // A database of its own, so the AppHost's RAG service (which ingests the same upload) does not interfere.
        var server = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(ResourceNames.RagDb));
        var database = $"rag_recovery_{Guid.NewGuid():N}"[..24];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = database;
        var files = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Files))[0];
        var api = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        return new()
        {
            ["ConnectionStrings:ragdb"] = server.ConnectionString,
            ["ConnectionStrings:cache"] = await fixture.ConnectionStringAsync(ResourceNames.Redis),
            ["services:files:http:0"] = files.ToString(),
            ["services:api:http:0"] = api.ToString(),
            ["Rag:Ingestion:StreamName"] = stream,
            ["Rag:Ingestion:Stream:ClaimIdle"] = "00:00:02",
            ["Rag:Ingestion:Stream:MaxAttempts"] = "2",
        };
    }

    private static async Task<string?> StatusAsync(ServiceFactory<RagDbContext> service, Guid fileId)
    {
        await using var scope = service.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
        return (await db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.FileId == fileId))?.Status.ToString();
    }
}
