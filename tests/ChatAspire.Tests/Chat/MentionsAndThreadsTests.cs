using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

/// <summary>Mentions and threads through the documented API (docs/realtime.md): what the web page builds on.</summary>
public sealed class MentionsAndThreadsTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_mention_names_members_only_counts_until_read_lists_for_the_mentioned_and_follows_edits()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "mna");
        var bob = await ChatUsers.RegisterAsync(Api, "mnb");
        var outsider = await ChatUsers.RegisterAsync(Api, "mno");
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        using var bobHttp = bob.Http();
        using var outsiderHttp = outsider.Http();

        var mention = await SendAsync(alice, channel, $"@{bob.UserName.ToUpperInvariant()}, and @{outsider.UserName} and mail@{bob.UserName} and `@nobody-here`");
        var plain = await SendAsync(alice, channel, "no mention here");
        var sentence = await SendAsync(alice, channel, $"thanks @{bob.UserName}.");

        // Case-insensitive, members only (the outsider cannot read the channel), never inside an address.
        Assert.Equal([bob.Id], mention.Mentions);
        Assert.Empty(plain.Mentions);
        Assert.Equal([bob.Id], sentence.Mentions);

        var unread = await bobHttp.GetFromJsonAsync<UnreadMentionsDto[]>("/api/mentions/unread");
        Assert.Equal(2, Assert.Single(unread!, u => u.ChannelId == channel).Count);
        Assert.Empty((await outsiderHttp.GetFromJsonAsync<UnreadMentionsDto[]>("/api/mentions/unread"))!);
        var listed = await bobHttp.GetFromJsonAsync<MessageDto[]>("/api/mentions");
        Assert.Equal([sentence.Id, mention.Id], listed!.Select(m => m.Id));
        var older = await bobHttp.GetFromJsonAsync<MessageDto[]>($"/api/mentions?before={Uri.EscapeDataString(listed![0].CreatedAt.ToString("O"))}");
        Assert.Equal([mention.Id], older!.Select(m => m.Id));
        Assert.Empty((await outsiderHttp.GetFromJsonAsync<MessageDto[]>("/api/mentions"))!);

        // Reading up to the first mention leaves one unread; an edit that drops the mention takes it off the list.
        using (await bobHttp.PostAsync($"/api/channels/{channel}/read?seq={mention.Seq}", null)) { }
        Assert.Equal(1, (await bobHttp.GetFromJsonAsync<UnreadMentionsDto[]>("/api/mentions/unread"))!.Single().Count);
        using var alicHttp = alice.Http();
        using var edit = await alicHttp.PutAsJsonAsync($"/api/channels/{channel}/messages/{sentence.Id}", new { content = "thanks all." });
        Assert.Empty((await edit.Content.ReadFromJsonAsync<MessageDto>())!.Mentions);
        Assert.Empty((await bobHttp.GetFromJsonAsync<UnreadMentionsDto[]>("/api/mentions/unread"))!);
        Assert.Equal([mention.Id], (await bobHttp.GetFromJsonAsync<MessageDto[]>("/api/mentions"))!.Select(m => m.Id));
    }

    [Fact]
    public async Task A_thread_lists_its_replies_in_order_pages_after_a_seq_and_counts_them_in_history()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "tha");
        var stranger = await ChatUsers.RegisterAsync(Api, "ths");
        var channel = await alice.CreateChannelAsync();
        using var http = alice.Http();
        var root = await SendAsync(alice, channel, "root question");
        var replies = new List<MessageDto>();
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(alice, channel, $"unrelated {i}");
            replies.Add(await SendAsync(alice, channel, $"answer {i}", root.Id));
        }
        using (await http.DeleteAsync($"/api/channels/{channel}/messages/{replies[2].Id}")) { }

        var thread = await http.GetFromJsonAsync<ThreadDto>($"/api/channels/{channel}/messages/{root.Id}/thread");
        Assert.Equal(root.Id, thread!.Root.Id);
        Assert.Equal(2, thread.Root.ReplyCount); // the deleted reply is not counted
        Assert.Equal(replies.Select(r => r.Id), thread.Replies.Select(r => r.Id));
        Assert.True(thread.Replies[2].Deleted);
        var page = await http.GetFromJsonAsync<ThreadDto>($"/api/channels/{channel}/messages/{root.Id}/thread?after={replies[0].Seq}&limit=1");
        Assert.Equal([replies[1].Id], page!.Replies.Select(r => r.Id));

        var history = (await http.GetFromJsonAsync<MessageDto[]>($"/api/channels/{channel}/messages"))!;
        Assert.Equal(2, history.Single(m => m.Id == root.Id).ReplyCount);
        Assert.All(history.Where(m => m.Id != root.Id), m => Assert.Equal(0, m.ReplyCount));

        using var strangers = await stranger.Http().GetAsync($"/api/channels/{channel}/messages/{root.Id}/thread");
        Assert.Equal(HttpStatusCode.Forbidden, strangers.StatusCode);
        using var missing = await http.GetAsync($"/api/channels/{channel}/messages/{Guid.NewGuid()}/thread");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<MessageDto> SendAsync(ChatUser user, Guid channel, string content, Guid? replyTo = null)
    {
        using var http = user.Http();
        using var response = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content, replyToId = replyTo, clientMessageId = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MessageDto>())!;
    }
}
