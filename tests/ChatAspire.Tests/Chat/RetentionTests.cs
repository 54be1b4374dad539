using System.Text.Json;
using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>
/// Issue #35, part 4: retention deletes what is older than a channel's days (messages, their reactions and earlier texts,
/// their attachments' blobs, and the RAG document and chunks made from them), leaves newer messages and other channels
/// alone, and history skips the deleted seqs without a gap error.
/// </summary>
public sealed class RetentionTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Old_messages_their_files_and_their_chunks_go_newer_ones_and_other_channels_stay()
    {
        var admin = await ChatUsers.AdminAsync(Api); // first: on a fresh system the first account is an admin
        var owner = await ChatUsers.RegisterAsync(Api, "ret");
        var member = await ChatUsers.RegisterAsync(Api, "ret");
        var kept = await owner.CreateChannelAsync();
        var trimmed = await owner.CreateChannelAsync();
        await owner.InviteAsync(trimmed, member);
        using var http = owner.Http();

        // In the channel to trim: an old message with a document, an old one with a reaction and an edit, a new one.
        var marker = $"zephyr{Guid.NewGuid():N}"[..16];
        var file = await Ai.AiScenario.ShareDocumentAsync(fixture, owner, trimmed, "minutes.md", $"# Minutes\n\nThe {marker} budget was approved.\n");
        var withFile = (await owner.HistoryAsync(trimmed)).Single(m => m.GetProperty("attachments").EnumerateArray().Any(a => a.GetGuid() == file));
        var reacted = await SendAsync(http, trimmed, new { content = "old and reacted" });
        (await member.Http().PutAsync($"/api/channels/{trimmed}/messages/{reacted.Id}/reactions/{Uri.EscapeDataString("👍")}", null)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/api/channels/{trimmed}/messages/{reacted.Id}", new { content = "old, reacted and edited" })).EnsureSuccessStatusCode();
        var recent = await SendAsync(http, trimmed, new { content = "still fresh" });
        var other = await SendAsync(http, kept, new { content = "old but kept forever" });
        Assert.NotEmpty(await SearchAsync(owner, marker));

        await BackdateAsync([withFile.GetProperty("id").GetGuid(), reacted.Id, other.Id], TimeSpan.FromDays(40));

        // Only the owner (or an admin) sets it; days are 1..36500 or null (forever).
        using (var byMember = await member.Http().PutAsJsonAsync($"/api/channels/{trimmed}/retention", new { days = 30 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byMember.StatusCode);
        }
        foreach (var days in new[] { 0, -5, 36_501 })
        {
            using var bad = await http.PutAsJsonAsync($"/api/channels/{trimmed}/retention", new { days });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("days", out _));
        }
        using (var set = await http.PutAsJsonAsync($"/api/channels/{trimmed}/retention", new { days = 30 }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var body = await set.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(30, body.GetProperty("days").GetInt32());
            Assert.Equal("channel", body.GetProperty("source").GetString());
        }
        using (var forever = await http.PutAsJsonAsync($"/api/channels/{kept}/retention", new { days = (int?)null }))
        {
            Assert.Equal(JsonValueKind.Null, (await forever.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("days").ValueKind);
        }
        var seen = await member.Http().GetFromJsonAsync<JsonElement>($"/api/channels/{trimmed}/retention");
        Assert.Equal(30, seen.GetProperty("days").GetInt32());

        // Only admins run it by hand (the job runs it hourly).
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync("/api/admin/retention/run", null)).StatusCode);
        using var run = await admin.Http().PostAsync("/api/admin/retention/run", null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var result = await run.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(result.GetProperty("ran").GetBoolean());
        Assert.True(result.GetProperty("messages").GetInt64() >= 2, $"{result}");
        Assert.True(result.GetProperty("files").GetInt32() >= 1, $"{result}");

        // History skips the deleted seqs; what is newer stays, and so does the channel kept forever.
        var history = await owner.HistoryAsync(trimmed, $"?after={withFile.GetProperty("seq").GetInt64() - 1}&limit=50");
        Assert.Equal([recent.Seq], history.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Single(await owner.HistoryAsync(kept), m => m.GetProperty("id").GetGuid() == other.Id);
        Assert.Equal(0L, await CountAsync("""SELECT count(*) FROM reactions WHERE "MessageId" = @id""", reacted.Id));
        Assert.Equal(0L, await CountAsync("""SELECT count(*) FROM message_edits WHERE "MessageId" = @id""", reacted.Id));

        // The attachment: gone from Chat.Files, no grant for it, and its document and chunks gone from search.
        using (var files = fixture.ProxyClient(ResourceNames.Files))
        {
            files.DefaultRequestHeaders.Authorization = new("Bearer", owner.Token);
            Assert.Equal(HttpStatusCode.NotFound, (await files.GetAsync($"/api/files/{file}/content")).StatusCode);
        }
        await Poll.UntilAsync(async () => (await member.Http().PostAsync($"/api/files/{file}/grant", null)).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(30), "the grant to be refused");
        await Poll.UntilAsync(async () =>
        {
            using var rag = Rag(owner);
            return (await rag.GetAsync($"/api/rag/documents/by-file/{file}")).StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(60), "the document to be removed");
        Assert.Empty(await SearchAsync(owner, marker));

        // The run is in the audit trail; a second run finds nothing more.
        var audit = await admin.Http().GetFromJsonAsync<JsonElement[]>("/api/admin/audit?action=retention_run&limit=5");
        Assert.Contains(audit!, e => e.GetProperty("detail").GetString()!.Contains("messages in", StringComparison.Ordinal));
        var again = await (await admin.Http().PostAsync("/api/admin/retention/run", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, again.GetProperty("messages").GetInt64());
    }

    private static async Task<MessageDto> SendAsync(HttpClient http, Guid channel, object body)
    {
        using var response = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<MessageDto>())!;
    }

    private async Task BackdateAsync(Guid[] ids, TimeSpan age)
    {
        await using var db = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""UPDATE messages SET "CreatedAt" = now() - @age WHERE "Id" = ANY(@ids)""", db);
        command.Parameters.AddWithValue("age", age);
        command.Parameters.AddWithValue("ids", ids);
        Assert.Equal(ids.Length, await command.ExecuteNonQueryAsync());
    }

    private async Task<long> CountAsync(string sql, Guid id)
    {
        await using var db = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private HttpClient Rag(ChatUser user)
    {
        var client = fixture.ProxyClient(ResourceNames.Rag);
        client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        return client;
    }

    private async Task<JsonElement[]> SearchAsync(ChatUser user, string query)
    {
        using var rag = Rag(user);
        using var response = await rag.PostAsJsonAsync("/api/rag/search", new { query, topK = 5 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits").EnumerateArray().ToArray();
        return [.. hits.Where(h => h.GetRawText().Contains(query, StringComparison.OrdinalIgnoreCase))];
    }
}
