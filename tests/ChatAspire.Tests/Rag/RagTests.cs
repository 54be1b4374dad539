using System.Text.Json;
using ChatAspire.Tests.Files;
using ChatAspire.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace ChatAspire.Tests.Rag;

/// <summary>Ingestion and search through the running AppHost: real Chat.Files, Redis stream, MiniLM, Postgres.</summary>
public sealed class RagTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task An_uploaded_pdf_and_markdown_become_ready_and_search_cites_file_name_page_and_heading()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "rag");
        var pdf = await UploadAsync(alice, "handbook.pdf", RagSamples.Pdf(
            "Welcome to the staff handbook. Office hours are nine to five on weekdays.",
            "Expense claims for travel must be filed within thirty days using the blue reimbursement form."));
        var md = await UploadAsync(alice, "runbook.md", RagSamples.Markdown(
            "# Runbook\n\nGeneral notes.\n\n## Rotating the database password\n\nRun the vault rotate command, then restart the api replicas one at a time.\n"));

        Assert.Equal("ready", (await WaitForDocumentAsync(alice, pdf)).GetProperty("status").GetString());
        Assert.Equal("ready", (await WaitForDocumentAsync(alice, md)).GetProperty("status").GetString());

        var hits = await SearchAsync(alice, new RagSearchRequest("how long do I have to submit a travel expense reimbursement?"));
        var top = hits[0];
        Assert.Equal(pdf, top.FileId);
        Assert.Equal("handbook.pdf", top.FileName);
        Assert.Equal(2, top.Page);
        Assert.Contains("thirty days", top.Text, StringComparison.Ordinal);

        var rotate = (await SearchAsync(alice, new RagSearchRequest("rotate database password", FileIds: [md])))[0];
        Assert.Equal(md, rotate.FileId);
        Assert.Equal("Rotating the database password", rotate.Heading);
        Assert.Null(rotate.Page);
    }

    [Fact]
    public async Task A_user_never_sees_chunks_of_files_they_cannot_read_until_the_file_is_shared_and_deleting_removes_them()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "rag-own");
        var other = await ChatUsers.RegisterAsync(Api, "rag-oth");
        var secret = $"zebracode{Guid.NewGuid():N}"[..20];
        var file = await UploadAsync(owner, "secret.txt", System.Text.Encoding.UTF8.GetBytes($"The vault combination is {secret} and nobody else may know it."));
        await WaitForDocumentAsync(owner, file);

        Assert.Contains(await SearchAsync(owner, new RagSearchRequest(secret)), h => h.FileId == file);
        Assert.DoesNotContain(await SearchAsync(other, new RagSearchRequest(secret)), h => h.FileId == file);
        Assert.Empty(await SearchAsync(other, new RagSearchRequest(secret, FileIds: [file])));
        using (var rag = Rag(other))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await rag.GetAsync($"/api/rag/documents/by-file/{file}")).StatusCode);
        }

        // A private channel the other user is not in: searching it is refused.
        var channel = await owner.CreateChannelAsync();
        using (var rag = Rag(other))
        {
            using var refused = await rag.PostAsJsonAsync("/api/rag/search", new RagSearchRequest(secret, ChannelId: channel));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Shared in a channel the other user belongs to: now they find it, there and in their general search.
        await owner.InviteAsync(channel, other);
        using (var http = owner.Http())
        {
            using var post = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "the combination", attachments = new[] { file } });
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        Assert.Contains(await SearchAsync(other, new RagSearchRequest(secret, ChannelId: channel)), h => h.FileId == file);
        Assert.Contains(await SearchAsync(other, new RagSearchRequest(secret)), h => h.FileId == file);
        using (var rag = Rag(other))
        {
            var grant = (await other.GrantAsync(file))!.Grant;
            Assert.Equal(HttpStatusCode.OK, (await rag.GetAsync($"/api/rag/documents/by-file/{file}?grant={Uri.EscapeDataString(grant)}")).StatusCode);
        }

        // Deleted: the document and its chunks go, and no search returns them.
        await DeleteAndWaitAsync(owner, file);
        Assert.DoesNotContain(await SearchAsync(owner, new RagSearchRequest(secret)), h => h.FileId == file);
        Assert.Equal(0, await ChunkCountAsync(await ShaOfAsync(System.Text.Encoding.UTF8.GetBytes($"The vault combination is {secret} and nobody else may know it."))));
    }

    [Fact]
    public async Task The_same_bytes_uploaded_twice_or_an_event_delivered_twice_never_duplicate_chunks()
    {
        var user = await ChatUsers.RegisterAsync(Api, "rag-dup");
        var bytes = RagSamples.LongText(600, $"dup{Guid.NewGuid():N}"[..10]);
        var first = await UploadAsync(user, "twice.txt", bytes);
        var firstDoc = await WaitForDocumentAsync(user, first);
        var second = await UploadAsync(user, "twice-again.txt", bytes);
        var secondDoc = await WaitForDocumentAsync(user, second);

        var chunks = firstDoc.GetProperty("chunkCount").GetInt32();
        Assert.True(chunks > 1, "the text should need several chunks");
        Assert.Equal(chunks, secondDoc.GetProperty("chunkCount").GetInt32());
        var sha = await ShaOfAsync(bytes);
        Assert.Equal(chunks, await ChunkCountAsync(sha));

        // Redeliver the first upload's event (at-least-once): still one set of chunks, the document stays ready.
        var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis));
        var original = (await redis.GetDatabase().StreamRangeAsync(FileEvents.Stream))
            .Last(e => e["payload"].ToString().Contains(first.ToString(), StringComparison.Ordinal));
        var db = redis.GetDatabase();
        var redelivered = await db.StreamAddAsync(FileEvents.Stream, original.Values);
        // Handled once the "rag" group has read past it and no longer holds it pending (other tests' uploads may be in
        // flight in the same stream, so the whole group is not waited for).
        await Poll.UntilAsync(async () =>
            StreamIdAtLeast((await db.StreamGroupInfoAsync(FileEvents.Stream)).Single(g => g.Name == "rag").LastDeliveredId, redelivered)
            && (await db.StreamPendingMessagesAsync(FileEvents.Stream, "rag", 1, RedisValue.Null, redelivered, redelivered)).Length == 0,
            TimeSpan.FromSeconds(60), "the redelivered event to be handled");
        Assert.Equal(chunks, await ChunkCountAsync(sha));
        Assert.Equal("ready", (await WaitForDocumentAsync(user, first)).GetProperty("status").GetString());

        // Deleting one copy keeps the other's chunks.
        await DeleteAndWaitAsync(user, first);
        Assert.Equal(chunks, await ChunkCountAsync(sha));
        Assert.Contains(await SearchAsync(user, new RagSearchRequest(System.Text.Encoding.UTF8.GetString(bytes)[..60])), h => h.FileId == second);
    }

    /// <summary>Whether stream entry id <paramref name="id"/> ("ms-seq") is at or after <paramref name="other"/>.</summary>
    private static bool StreamIdAtLeast(string? id, RedisValue other)
    {
        static (long Ms, long Seq) Parse(string value) =>
            (long.Parse(value.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(value.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture));
        return id is not null && Parse(id).CompareTo(Parse(other.ToString())) >= 0;
    }

    [Fact]
    public async Task A_corrupt_pdf_fails_with_a_reason_and_other_files_are_still_ingested()
    {
        var user = await ChatUsers.RegisterAsync(Api, "rag-bad");
        var bad = await UploadAsync(user, "broken.pdf", RagSamples.CorruptPdf());
        var good = await UploadAsync(user, "fine.md", RagSamples.Markdown($"# Fine\n\nThis file is fine {Guid.NewGuid():N}."));

        var failed = await WaitForDocumentAsync(user, bad);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("could not be read", failed.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("ready", (await WaitForDocumentAsync(user, good)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_search_requests_get_problem_details_and_anonymous_callers_401()
    {
        var user = await ChatUsers.RegisterAsync(Api, "rag-val");
        using var rag = Rag(user);
        using var empty = await rag.PostAsJsonAsync("/api/rag/search", new { query = " ", topK = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("query", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var big = await rag.PostAsJsonAsync("/api/rag/search", new { query = "x", topK = 500 });
        Assert.Equal(HttpStatusCode.BadRequest, big.StatusCode);
        using var anonymous = fixture.ProxyClient(ResourceNames.Rag);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/rag/search", new { query = "x" })).StatusCode);
    }

    private HttpClient Rag(ChatUser user) => WithToken(fixture.ProxyClient(ResourceNames.Rag), user);

    private HttpClient FilesClient(ChatUser user) => WithToken(fixture.ProxyClient(ResourceNames.Files), user);

    private static HttpClient WithToken(HttpClient client, ChatUser user)
    {
        client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        return client;
    }

    private Task<Guid> UploadAsync(ChatUser user, string name, byte[] bytes) => fixture.UploadAsync(user, name, bytes);

    /// <summary>Deletes a file through Chat.Files and waits until the RAG service has dropped its document.</summary>
    private async Task DeleteAndWaitAsync(ChatUser user, Guid file)
    {
        using (var files = FilesClient(user))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await files.DeleteAsync($"/api/files/{file}")).StatusCode);
        }
        await Poll.UntilAsync(async () =>
        {
            using var rag = Rag(user);
            return (await rag.GetAsync($"/api/rag/documents/by-file/{file}")).StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(60), "the document to be removed");
    }

    /// <summary>Polls the document made from a file until it is ready or failed.</summary>
    private async Task<JsonElement> WaitForDocumentAsync(ChatUser user, Guid fileId)
    {
        JsonElement last = default;
        await Poll.UntilAsync(async () =>
        {
            using var rag = Rag(user);
            using var response = await rag.GetAsync($"/api/rag/documents/by-file/{fileId}");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
            last = await response.Content.ReadFromJsonAsync<JsonElement>();
            return last.GetProperty("status").GetString() is "ready" or "failed";
        }, TimeSpan.FromSeconds(120));
        return last;
    }

    private async Task<IReadOnlyList<RagHit>> SearchAsync(ChatUser user, RagSearchRequest request)
    {
        using var rag = Rag(user);
        using var response = await rag.PostAsJsonAsync("/api/rag/search", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RagSearchResponse>())!.Hits;
    }

    private static Task<string> ShaOfAsync(byte[] bytes) => Task.FromResult(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));

    private async Task<long> ChunkCountAsync(string sha)
    {
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.RagDb));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM chunks WHERE "Sha256" = @sha""", connection);
        command.Parameters.AddWithValue("sha", sha);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
