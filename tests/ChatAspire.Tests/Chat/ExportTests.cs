using System.IO.Compression;
using System.Text.Json;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>A channel's export: the whole history as messages.jsonl plus the attachments, for its owner only, audited.</summary>
public sealed class ExportTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task The_owner_exports_every_message_with_thread_reactions_and_deletions_and_the_attachments_bytes()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "exp-a");
        var bob = await ChatUsers.RegisterAsync(Api, "exp-b");
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        var bytes = "the plan, in full\n"u8.ToArray();
        var file = await fixture.UploadAsync(alice, "plan.txt", bytes);

        using var aliceHttp = alice.Http();
        using var bobHttp = bob.Http();
        var root = await SendAsync(aliceHttp, channel, new { content = "here is the plan", attachments = new[] { file } });
        var reply = await SendAsync(bobHttp, channel, new { content = "looks good", replyToId = root });
        var doomed = await SendAsync(aliceHttp, channel, new { content = "a secret said by mistake" });
        (await bobHttp.PutAsync($"/api/channels/{channel}/messages/{root}/reactions/{Uri.EscapeDataString("👍")}", null)).EnsureSuccessStatusCode();
        (await aliceHttp.DeleteAsync($"/api/channels/{channel}/messages/{doomed}")).EnsureSuccessStatusCode();
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(bobHttp, channel, new { content = $"more {i}" });
        }

        using (var refused = await bobHttp.GetAsync($"/api/channels/{channel}/export"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // a member, not the owner
        }
        using var response = await aliceHttp.GetAsync($"/api/channels/{channel}/export", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var zipped = new MemoryStream();
        await (await response.Content.ReadAsStreamAsync()).CopyToAsync(zipped);
        using var zip = new ZipArchive(zipped, ZipArchiveMode.Read);

        string[] lines;
        using (var reader = new StreamReader(zip.GetEntry("messages.jsonl")!.Open()))
        {
            lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        var messages = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), messages.Select(m => m.GetProperty("seq").GetInt64()));
        var first = messages[0];
        Assert.Equal(root, first.GetProperty("id").GetGuid());
        Assert.Equal("here is the plan", first.GetProperty("content").GetString());
        Assert.Equal(alice.UserName, first.GetProperty("senderUserName").GetString());
        Assert.Equal(file, first.GetProperty("attachments")[0].GetGuid());
        var reaction = Assert.Single(first.GetProperty("reactions").EnumerateArray());
        Assert.Equal(("👍", bob.Id), (reaction.GetProperty("emoji").GetString(), reaction.GetProperty("userId").GetGuid()));
        Assert.Equal(root, messages.Single(m => m.GetProperty("id").GetGuid() == reply).GetProperty("replyToId").GetGuid());
        var deleted = messages.Single(m => m.GetProperty("id").GetGuid() == doomed);
        Assert.Equal(JsonValueKind.Null, deleted.GetProperty("content").ValueKind);
        Assert.Equal(JsonValueKind.String, deleted.GetProperty("deletedAt").ValueKind);
        Assert.DoesNotContain("a secret said by mistake", string.Join('\n', lines));

        var attachment = Assert.Single(zip.Entries, e => e.FullName.StartsWith("files/", StringComparison.Ordinal));
        Assert.Equal($"files/{file}/plan.txt", attachment.FullName);
        using (var content = new MemoryStream())
        {
            await attachment.Open().CopyToAsync(content);
            Assert.Equal(bytes, content.ToArray());
        }

        using var admin = (await ChatUsers.AdminAsync(Api)).Http();
        var audited = await admin.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={alice.Id}&action=channel_exported");
        Assert.Equal(channel.ToString(), Assert.Single(audited!).GetProperty("targetId").GetString());
    }

    [Fact]
    public async Task A_private_channel_is_refused_to_someone_outside_it_as_its_other_routes_are()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "exp-o");
        var stranger = await ChatUsers.RegisterAsync(Api, "exp-s");
        var channel = await owner.CreateChannelAsync("private");
        using var http = stranger.Http();
        using var response = await http.GetAsync($"/api/channels/{channel}/export");
        using var channelItself = await http.GetAsync($"/api/channels/{channel}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(channelItself.StatusCode, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<Guid> SendAsync(HttpClient http, Guid channel, object body)
    {
        using var response = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
