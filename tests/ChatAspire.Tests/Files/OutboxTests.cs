using Chat.Files.Data;
using ChatAspire.Messaging;
using Chat.Files.Storage;
using ChatAspire.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace ChatAspire.Tests.Files;

public sealed class OutboxTests(AppHostFixture fixture)
{
    [Fact]
    public async Task An_upload_event_reaches_the_stream_exactly_once_even_when_publishing_is_interrupted()
    {
        var user = await ChatUsers.RegisterAsync(fixture.ProxyClient(ResourceNames.Api).BaseAddress!);
        var storage = Path.Combine(Path.GetTempPath(), $"chataspire-outbox-test-{Guid.NewGuid():N}");
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.FilesDb);
        settings["Files:StoragePath"] = storage;
        Guid fileId;

        // 1. A Files instance whose publisher never runs: the upload commits, then the process "dies".
        await using (var crashed = WithoutPublisher(new ServiceFactory<FilesDbContext>(settings)))
        {
            using var client = crashed.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
            using var upload = await client.PostAsync("/api/files", Samples.Multipart("event.txt", Samples.For("x.txt")));
            fileId = (await upload.Content.ReadFromJsonAsync<FileMetadata>())!.Id;
            await using var scope = crashed.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<FilesDbContext>();
            Assert.Single(await Rows(db, fileId).ToListAsync());
        }

        // 2. A restarted instance publishes; 3. it "dies" after XADD but before marking the row, and publishes again.
        await using (var restarted = WithoutPublisher(new ServiceFactory<FilesDbContext>(settings)))
        {
            _ = restarted.CreateClient();
            var publisher = restarted.Services.GetRequiredService<OutboxPublisher<FilesDbContext>>();
            await publisher.PublishBatchAsync(CancellationToken.None);
            await using var scope = restarted.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<FilesDbContext>();
            await Rows(db, fileId).ExecuteUpdateAsync(s => s.SetProperty(m => m.PublishedAt, (DateTimeOffset?)null));
            await publisher.PublishBatchAsync(CancellationToken.None);
            Assert.All(await Rows(db, fileId).ToListAsync(), m => Assert.NotNull(m.PublishedAt));
        }

        var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis));
        var entries = (await redis.GetDatabase().StreamRangeAsync(FileEvents.Stream))
            .Where(e => e["payload"].ToString().Contains(fileId.ToString(), StringComparison.Ordinal)).ToArray();
        var entry = Assert.Single(entries);
        Assert.Equal("FileUploaded", entry["type"].ToString());
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", entry["traceparent"].ToString());
        Directory.Delete(storage, recursive: true);
    }

    private static IQueryable<OutboxMessage> Rows(FilesDbContext db, Guid fileId) =>
        db.Outbox.FromSql($"SELECT * FROM outbox WHERE \"Payload\"->>'fileId' = {fileId.ToString()}");

    private static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<FilesDbContext> WithoutPublisher(ServiceFactory<FilesDbContext> factory) =>
        factory.WithWebHostBuilder(b => b.ConfigureServices(services =>
        {
            var hosted = services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationFactory is not null
                && d.ImplementationFactory.Method.ReturnType == typeof(OutboxPublisher<FilesDbContext>)).ToList();
            foreach (var d in hosted)
            {
                services.Remove(d);
            }
        }));
}
