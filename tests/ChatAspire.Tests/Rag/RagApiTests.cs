using System.Text.Json;
using Chat.RagService.Documents;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Rag;

/// <summary>The RAG API as a client uses it (issue #15): status from upload on, many at once, documents-not-chunks, caches scoped to the caller.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class RagApiTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Status_is_known_from_the_moment_the_upload_is_accepted_and_many_are_asked_at_once()
    {
        var user = await ChatUsers.RegisterAsync(Api, "rag-q");
        var stranger = await ChatUsers.RegisterAsync(Api, "rag-s");
        var seed = $"q{Guid.NewGuid():N}"[..10];
        var files = new List<Guid>();
        var firstSeen = new List<string>();
        using var rag = Rag(user);
        for (var i = 0; i < 6; i++)
        {
            var file = await fixture.UploadAsync(user, $"notes-{i}.txt", RagSamples.LongText(2500, $"{seed}{i}"));
            files.Add(file);
            // Asked right after the 201: never 404, whatever the ingestion queue holds.
            using var status = await rag.GetAsync($"/api/rag/documents/by-file/{file}");
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            firstSeen.Add((await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!);
        }
        var foreign = await fixture.UploadAsync(stranger, "theirs.txt", RagSamples.LongText(50, $"{seed}x"));

        Assert.Contains("queued", firstSeen); // six long files wait behind each other
        Assert.All(firstSeen, s => Assert.Contains(s, new[] { "queued", "extracting", "embedding", "ready" }));

        using var bulk = await rag.PostAsJsonAsync("/api/rag/documents/status", new { fileIds = files.Append(foreign).Append(Guid.NewGuid()) });
        var found = (await bulk.Content.ReadFromJsonAsync<BulkStatusResponse>())!.Documents;
        Assert.Equal(files.Order(), found.Select(d => d.FileId).Order());

        using var empty = await rag.PostAsJsonAsync("/api/rag/documents/status", new { fileIds = Array.Empty<Guid>() });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        // "My documents", paged: every one once, the stranger's never.
        var listed = new List<Guid>();
        Guid? after = null;
        do
        {
            var page = (await rag.GetFromJsonAsync<DocumentPage>($"/api/rag/documents?limit=4{(after is { } a ? $"&after={a}" : "")}"))!;
            Assert.True(page.Documents.Count <= 4);
            listed.AddRange(page.Documents.Select(d => d.FileId));
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(files.Order(), listed.Order());
        Assert.Equal(HttpStatusCode.BadRequest, (await rag.GetAsync("/api/rag/documents?status=lost")).StatusCode);

        foreach (var file in files)
        {
            await Poll.UntilAsync(async () => (await rag.GetFromJsonAsync<JsonElement>($"/api/rag/documents/by-file/{file}")).GetProperty("status").GetString() == "ready",
                TimeSpan.FromSeconds(180), "the documents to be ready");
        }
        var ready = (await rag.GetFromJsonAsync<DocumentPage>("/api/rag/documents?status=ready&limit=500"))!;
        Assert.Equal(files.Order(), ready.Documents.Select(d => d.FileId).Order());
    }

    [Fact]
    public async Task TopK_counts_documents_with_their_other_matching_chunks_and_chunks_mode_counts_chunks()
    {
        var user = await ChatUsers.RegisterAsync(Api, "rag-k");
        var term = $"zq{Guid.NewGuid():N}"[..12];
        // Three documents, each with the rare term in many of its chunks.
        var files = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var text = string.Join("\n\n", Enumerable.Range(0, 12).Select(p => $"Section {p} of report {i}. The {term} reading was taken on day {p}. " +
                string.Join(' ', Enumerable.Repeat($"filler{i}{p} words about the weather and the harvest", 30))));
            files.Add(await fixture.UploadAsync(user, $"report-{i}.txt", System.Text.Encoding.UTF8.GetBytes(text)));
        }
        using var rag = Rag(user);
        foreach (var file in files)
        {
            await Poll.UntilAsync(async () => (await rag.GetFromJsonAsync<JsonElement>($"/api/rag/documents/by-file/{file}")).GetProperty("status").GetString() == "ready",
                TimeSpan.FromSeconds(180), "the reports to be ready");
        }

        var documents = await SearchAsync(rag, new RagSearchRequest($"{term} reading", TopK: 3));
        var chunks = await SearchAsync(rag, new RagSearchRequest($"{term} reading", TopK: 9, Mode: RagSearchModes.Chunks));

        Assert.Equal(3, documents.Count);
        Assert.Equal(files.Order(), documents.Select(h => h.FileId).Order());
        Assert.All(documents, h => Assert.NotEmpty(h.OtherChunks!));
        Assert.All(documents, h => Assert.All(h.OtherChunks!, c => Assert.True(c.Score <= h.Score)));
        // The documented score: 0 to 1, hits in score order, in both modes.
        Assert.All(documents.Concat(chunks).Select(h => h.Score).Concat(documents.SelectMany(h => h.OtherChunks!).Select(c => c.Score)),
            score => Assert.InRange(score, 0, 1));
        Assert.Equal(documents.Select(h => h.Score).OrderDescending(), documents.Select(h => h.Score));
        Assert.Equal(chunks.Select(h => h.Score).OrderDescending(), chunks.Select(h => h.Score));
        Assert.Equal(9, chunks.Count);
        Assert.Equal(9, chunks.Select(h => h.ChunkId).Distinct().Count());
        Assert.True(chunks.Select(h => h.DocumentId).Distinct().Count() < 9, "nine chunks of three documents repeat documents");
        Assert.All(chunks, h => Assert.Null(h.OtherChunks));

        using var most = await rag.PostAsJsonAsync("/api/rag/search", new RagSearchRequest(term, TopK: 100));
        using var tooMany = await rag.PostAsJsonAsync("/api/rag/search", new RagSearchRequest(term, TopK: 101));
        using var badMode = await rag.PostAsJsonAsync("/api/rag/search", new RagSearchRequest(term, Mode: "pages"));
        Assert.Equal(HttpStatusCode.OK, most.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badMode.StatusCode);
    }

    [Fact]
    public async Task A_strangers_upload_leaves_my_cached_result_valid_and_a_document_shared_with_me_invalidates_it()
    {
        var me = await ChatUsers.RegisterAsync(Api, "rag-c");
        var stranger = await ChatUsers.RegisterAsync(Api, "rag-t");
        var colleague = await ChatUsers.RegisterAsync(Api, "rag-o");
        var term = $"kx{Guid.NewGuid():N}"[..12];
        var mine = await fixture.UploadAsync(me, "mine.txt", System.Text.Encoding.UTF8.GetBytes($"The {term} budget for the spring was approved."));
        using var rag = Rag(me);
        await WaitReadyAsync(rag, mine);
        var query = new RagSearchRequest($"{term} budget");

        await SearchAsync(rag, query); // fills the cache
        var before = await CacheCountsAsync();
        var strangers = await fixture.UploadAsync(stranger, "theirs.txt", System.Text.Encoding.UTF8.GetBytes($"The {term} budget of another team."));
        await WaitReadyAsync(Rag(stranger), strangers);
        var beforeAgain = await CacheCountsAsync();
        var again = await SearchAsync(rag, query);
        var afterStranger = await CacheCountsAsync();

        Assert.Equal(before.Hits + 1, afterStranger.Hits);
        Assert.Equal(before.Misses, afterStranger.Misses);
        Assert.Equal(beforeAgain.CallsOut, afterStranger.CallsOut); // the hit asked Chat.Api nothing
        // (Hits from other tests' public channels may share the word "budget"; only this test's three files are judged.)
        Assert.Equal([mine], again.Select(h => h.FileId).Where(id => id == mine || id == strangers));

        // A colleague shares a matching document in a channel I am in: my next search must see it.
        var colleagues = await fixture.UploadAsync(colleague, "shared.txt", System.Text.Encoding.UTF8.GetBytes($"The {term} budget shared with the team."));
        await WaitReadyAsync(Rag(colleague), colleagues);
        var channel = await colleague.CreateChannelAsync();
        await colleague.InviteAsync(channel, me);
        using (var http = colleague.Http())
        {
            using var sent = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "the budget", attachments = new[] { colleagues } });
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        }
        var shared = await SearchAsync(rag, query);
        var afterShare = await CacheCountsAsync();

        Assert.Equal(afterStranger.Misses + 1, afterShare.Misses);
        Assert.Equal(new[] { mine, colleagues }.Order(), shared.Select(h => h.FileId).Where(id => id == mine || id == strangers || id == colleagues).Order());
    }

    private HttpClient Rag(ChatUser user)
    {
        var client = fixture.ProxyClient(ResourceNames.Rag);
        client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        return client;
    }

    private static async Task WaitReadyAsync(HttpClient rag, Guid file) =>
        await Poll.UntilAsync(async () => (await rag.GetFromJsonAsync<JsonElement>($"/api/rag/documents/by-file/{file}")).GetProperty("status").GetString() == "ready",
            TimeSpan.FromSeconds(120), "the document to be ready");

    private static async Task<IReadOnlyList<RagHit>> SearchAsync(HttpClient rag, RagSearchRequest request)
    {
        using var response = await rag.PostAsJsonAsync("/api/rag/search", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RagSearchResponse>())!.Hits;
    }

    private async Task<(double Hits, double Misses, double CallsOut)> CacheCountsAsync()
    {
        using var metrics = fixture.CreateClient(ResourceNames.Rag);
        var text = await metrics.GetStringAsync("/metrics");
        return (MetricsText.Sum(text, "cache_hits_total", ("cache", "rag_results")), MetricsText.Sum(text, "cache_misses_total", ("cache", "rag_results")),
            MetricsText.Sum(text, "http_client_request_duration_seconds_count"));
    }
}
