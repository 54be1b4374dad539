using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>
/// The team memory (issue #39) on the real system: messages are found by their words and by their meaning within
/// seconds, beside document passages in one list, only by people who can read their channel now; edited-away and
/// deleted text is never found.
/// </summary>
public sealed class TeamMemoryTests(AppHostFixture fixture)
{
    /// <summary>Well within a second on a quiet machine (the bench's freshness); CI runs other classes' load beside these.</summary>
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(90);

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Messages_are_found_by_words_and_meaning_beside_documents_and_never_by_non_members()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "mem-a");
        var bob = await ChatUsers.RegisterAsync(Api, "mem-b");
        var mallory = await ChatUsers.RegisterAsync(Api, "mem-m");
        var secret = await alice.CreateChannelAsync("private");
        await alice.InviteAsync(secret, bob);
        var ticket = $"OPS-{Random.Shared.Next(100_000, 999_999)}";
        var tag = $"k{Guid.NewGuid():N}"[..12];
        var noise = new[]
        {
            "Lunch is at noon on Friday, the usual place.",
            "Please review the new onboarding checklist before Monday.",
            "The office plants need water while Sam is away.",
        };
        foreach (var text in noise)
        {
            (await alice.PostAsync(secret, $"{text} {tag}")).EnsureSuccessStatusCode();
        }
        var watch = Stopwatch.StartNew();
        using var sent = await alice.PostAsync(secret, $"The checkout service crashed after the database migration; tracked as {ticket}. {tag}");
        sent.EnsureSuccessStatusCode();
        var incidentId = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var passage = await fixture.UploadAsync(alice, "runbook.txt",
            System.Text.Encoding.UTF8.GetBytes($"Runbook {tag}: when the checkout service crashes, roll back the last database migration first."));
        (await PostWithAttachmentAsync(alice, secret, $"runbook attached {tag}", passage)).EnsureSuccessStatusCode();

        // Keyword-exact: the ticket id finds the message, first, within seconds of the send.
        await Poll.UntilAsync(async () => (await SearchAsync(alice, ticket)).Hits.FirstOrDefault()?.MessageId == incidentId, Fresh, "the ticket id to find its message");
        var freshness = watch.Elapsed;
        var exact = await SearchAsync(alice, ticket);
        Assert.Equal(secret, exact.Hits[0].ChannelId);
        Assert.Equal(4, exact.Hits[0].Seq);
        Assert.Equal(alice.UserName, exact.Hits[0].SenderName);

        // By meaning, in words the message does not use; the runbook passage in the same list.
        await Poll.UntilAsync(async () => (await SearchAsync(alice, $"why did the payment page go down {tag}")).Hits.Any(h => h.FileId == passage),
            TimeSpan.FromSeconds(120), "the runbook to be searchable");
        var meaning = await SearchAsync(alice, $"why did the payment page go down {tag}");
        Assert.Contains(meaning.Hits.Take(3), h => h.MessageId == incidentId);
        Assert.Contains(meaning.Hits, h => h.Kind == "document" && h.FileName == "runbook.txt" && h.Text.Contains("roll back", StringComparison.Ordinal));
        Assert.Contains(meaning.Hits, h => h.Kind == "message");

        // A member finds it too; someone outside the private channel never does, by word or by meaning.
        Assert.Equal(incidentId, (await SearchAsync(bob, ticket)).Hits[0].MessageId);
        var outside = (await SearchAsync(mallory, ticket)).Hits.Concat((await SearchAsync(mallory, $"checkout crashed migration {tag}")).Hits).ToList();
        Assert.DoesNotContain(outside, h => h.ChannelId == secret || h.FileId == passage);

        // Leaving takes effect at once: the next search already cannot see the channel.
        using (var bobHttp = bob.Http())
        {
            (await bobHttp.PostAsync($"/api/channels/{secret}/leave", null)).EnsureSuccessStatusCode();
        }
        Assert.DoesNotContain((await SearchAsync(bob, ticket)).Hits, h => h.ChannelId == secret);
        Assert.True(freshness < Fresh, $"found after {freshness}");
    }

    [Fact]
    public async Task A_rare_word_finds_its_one_message_and_not_every_neighbour()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "mem-r");
        var channel = await alice.CreateChannelAsync("private");
        var word = $"zebra{Guid.NewGuid():N}"[..14];
        using var sent = await alice.PostAsync(channel, $"the {word} plan is ready");
        var id = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 0; i < 15; i++)
        {
            (await alice.PostAsync(channel, $"filler {i}")).EnsureSuccessStatusCode();
        }
        await Poll.UntilAsync(async () => (await SearchAsync(alice, "filler 14")).Hits.Any(h => h.Text == "filler 14"), Fresh, "the fillers to be indexed");
        await Poll.UntilAsync(async () => (await SearchAsync(alice, word)).Hits.Any(h => h.MessageId == id), Fresh, "the rare word's message to be indexed");
        var found = await SearchAsync(alice, word);
        Assert.Equal([id], found.Hits.Select(h => h.MessageId));
    }

    [Fact]
    public async Task Edited_away_and_deleted_text_is_never_found()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "mem-e");
        var channel = await alice.CreateChannelAsync("private");
        var before = $"old{Guid.NewGuid():N}"[..14];
        var after = $"new{Guid.NewGuid():N}"[..14];
        using var sent = await alice.PostAsync(channel, $"the password hint is {before}");
        var id = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await Poll.UntilAsync(async () => (await SearchAsync(alice, before)).Hits.Any(h => h.MessageId == id), Fresh, "the message to be found");

        using var http = alice.Http();
        (await http.PutAsJsonAsync($"/api/channels/{channel}/messages/{id}", new { content = $"the hint is {after}" })).EnsureSuccessStatusCode();
        await Poll.UntilAsync(async () => (await SearchAsync(alice, after)).Hits.Any(h => h.MessageId == id), Fresh, "the edit to be found");
        // The old words are gone from the index: no hit holds them, and what the index keeps is the new text only.
        Assert.DoesNotContain((await SearchAsync(alice, before)).Hits, h => h.Text.Contains(before, StringComparison.Ordinal));
        Assert.Equal((false, $"the hint is {after}"), await RagRowAsync(id));

        (await http.DeleteAsync($"/api/channels/{channel}/messages/{id}")).EnsureSuccessStatusCode();
        // Gone from the answer at once (Chat.Api marks it before it commits the deletion), and from the index itself soon after.
        Assert.DoesNotContain((await SearchAsync(alice, after)).Hits, h => h.MessageId == id);
        await Poll.UntilAsync(async () => await RagRowAsync(id) is { Removed: true, Text: "" }, Fresh, "the index to forget the text");
    }

    [Fact]
    public async Task Bad_searches_are_refused_with_the_field_and_people_cannot_ask_the_memory_directly()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "mem-v");
        using var rag = Rag(alice);
        foreach (var query in new[] { "/api/search", "/api/search?q=%20", $"/api/search?q={new string('x', 501)}", "/api/search?q=a&limit=0", "/api/search?q=a%00b" })
        {
            using var response = await rag.GetAsync(query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Invalid", problem.GetProperty("title").GetString());
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any());
        }
        using var other = await rag.GetAsync($"/api/search?q=hello&channelId={Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        using var anonymous = await fixture.ProxyClient(ResourceNames.Rag).GetAsync("/api/search?q=hello");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var direct = await rag.PostAsJsonAsync("/api/rag/memory", new { query = "hello", channelIds = Array.Empty<Guid>() });
        Assert.Equal(HttpStatusCode.Forbidden, direct.StatusCode);
    }

    private HttpClient Rag(ChatUser user)
    {
        var client = fixture.ProxyClient(ResourceNames.Rag);
        client.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        return client;
    }

    private async Task<SearchResults> SearchAsync(ChatUser user, string query)
    {
        using var rag = Rag(user);
        using var response = await rag.GetAsync($"/api/search?q={Uri.EscapeDataString(query)}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SearchResults>())!;
    }

    private static async Task<HttpResponseMessage> PostWithAttachmentAsync(ChatUser user, Guid channel, string content, Guid file)
    {
        using var http = user.Http();
        return await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content, attachments = new[] { file } });
    }

    private async Task<(bool Removed, string Text)?> RagRowAsync(Guid messageId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.RagDb));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""SELECT "Removed", "Text" FROM memory_messages WHERE "Id" = $1""", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = messageId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetBoolean(0), reader.GetString(1)) : null;
    }
}
