using System.Text.Json;
using Chat.Api.Accounts;
using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>
/// Issue #36: a display name is changed in the profile (the sign-up rules still hold, and every replica shows the new
/// name at once), and an edited message keeps its earlier texts for its readers until it is deleted.
/// </summary>
public sealed class ProfileAndEditHistoryTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_new_display_name_shows_on_every_replica_at_once_and_an_impersonating_one_is_refused()
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        Assert.True(replicas.Count >= 2, "the API runs as two replicas");
        var author = await ChatUsers.RegisterAsync(Api, "nm");
        var channel = await author.CreateChannelAsync();
        using var post = await author.PostAsync(channel, "hello", replica: replicas[0]);
        post.EnsureSuccessStatusCode();
        // Both replicas have the old name in their caches.
        foreach (var replica in replicas)
        {
            Assert.Equal(author.UserName, await SenderNameAsync(author, channel, replica));
        }

        using var http = author.Http(replicas[0]);
        using var renamed = await http.PutAsJsonAsync("/api/users/me", new { displayName = "Ada Lovelace" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Ada Lovelace", (await renamed.Content.ReadFromJsonAsync<UserDto>())!.DisplayName);
        // The other replica forgets the old name through Redis; the cache would otherwise keep it for five minutes.
        await Poll.UntilAsync(async () => await SenderNameAsync(author, channel, replicas[1]) == "Ada Lovelace", TimeSpan.FromSeconds(5),
            "the second replica still shows the old name");
        Assert.Equal("Ada Lovelace", await SenderNameAsync(author, channel, replicas[0]));

        foreach (var (name, why) in new[] { ("admin", "reserved"), ("ASSISTANT", "reserved"), ("", "back to the user name"), ("a\u202Eb", "bidi override") })
        {
            using var attempt = await http.PutAsJsonAsync("/api/users/me", new { displayName = name });
            if (name.Length == 0)
            {
                Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
                Assert.Equal(author.UserName, (await attempt.Content.ReadFromJsonAsync<UserDto>())!.DisplayName);
                continue;
            }
            Assert.True(attempt.StatusCode == HttpStatusCode.BadRequest, $"{why}: {attempt.StatusCode}");
            var problem = await attempt.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("displayName", out _), why);
        }

        // Another person's user name is theirs.
        var other = await ChatUsers.RegisterAsync(Api, "nm");
        using var taken = await http.PutAsJsonAsync("/api/users/me", new { displayName = other.UserName });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        using var anonymous = new HttpClient { BaseAddress = Api };
        using var unauthenticated = await anonymous.PutAsJsonAsync("/api/users/me", new { displayName = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task Earlier_texts_of_an_edited_message_are_kept_for_its_readers_and_go_with_the_message()
    {
        var author = await ChatUsers.RegisterAsync(Api, "ed");
        var reader = await ChatUsers.RegisterAsync(Api, "ed");
        var outsider = await ChatUsers.RegisterAsync(Api, "ed");
        var channel = await author.CreateChannelAsync();
        await author.InviteAsync(channel, reader);
        using var http = author.Http();
        var sent = (await (await author.PostAsync(channel, "first text")).Content.ReadFromJsonAsync<MessageDto>())!;
        var url = $"/api/channels/{channel}/messages/{sent.Id}";
        (await http.PutAsJsonAsync(url, new { content = "second text" })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync(url, new { content = "second text" })).EnsureSuccessStatusCode(); // the same text: no new version
        (await http.PutAsJsonAsync(url, new { content = "third text" })).EnsureSuccessStatusCode();

        var history = await reader.Http().GetFromJsonAsync<MessageHistoryDto>($"{url}/edits");
        Assert.Equal(["first text", "second text"], history!.Versions.Select(v => v.Content));
        Assert.Equal(sent.CreatedAt, history.Versions[0].WrittenAt, TimeSpan.FromMilliseconds(1));
        Assert.Equal(history.Versions[0].ReplacedAt, history.Versions[1].WrittenAt);
        Assert.True(history.Versions[1].ReplacedAt >= history.Versions[1].WrittenAt);
        var current = (await author.HistoryAsync(channel)).Single(m => m.GetProperty("id").GetGuid() == sent.Id);
        Assert.Equal("third text", current.GetProperty("content").GetString());
        Assert.Equal(history.Versions[1].ReplacedAt, current.GetProperty("editedAt").GetDateTimeOffset());

        using var notMember = await outsider.Http().GetAsync($"{url}/edits");
        Assert.Contains(notMember.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });

        // Deleted: no earlier text is a click away, and none is left in the database.
        (await http.DeleteAsync(url)).EnsureSuccessStatusCode();
        var after = await reader.Http().GetFromJsonAsync<MessageHistoryDto>($"{url}/edits");
        Assert.Empty(after!.Versions);
        await using var db = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await db.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("""SELECT count(*) FROM message_edits WHERE "MessageId" = @id""", db);
        count.Parameters.AddWithValue("id", sent.Id);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    private static async Task<string?> SenderNameAsync(ChatUser user, Guid channel, Uri replica)
    {
        using var http = user.Http(replica);
        var page = await http.GetFromJsonAsync<JsonElement[]>($"/api/channels/{channel}/messages");
        return page![0].GetProperty("senderName").GetString();
    }
}
