using System.Text.Json;
using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Chat;

public sealed class MessageActionsTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Edit_own_reply_react_and_moderator_delete_are_persisted_and_broadcast()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "own");
        var member = await ChatUsers.RegisterAsync(Api, "mem");
        var channel = await owner.CreateChannelAsync();
        await owner.InviteAsync(channel, member);
        await using var ownerHub = await owner.ConnectAsync();
        var edited = new Inbox<MessageDto>();
        var deleted = new Inbox<long>();
        var reactions = new Inbox<IReadOnlyList<ReactionCount>>();
        var typing = new Inbox<Guid>();
        ownerHub.On<MessageDto>("MessageEdited", edited.Add);
        ownerHub.On<Guid, Guid, long>("MessageDeleted", (_, _, seq) => deleted.Add(seq));
        ownerHub.On<Guid, Guid, long, IReadOnlyList<ReactionCount>>("ReactionChanged", (_, _, _, r) => reactions.Add(r));
        ownerHub.On<Guid, Guid, string>("Typing", (_, userId, _) => typing.Add(userId));
        await using var memberHub = await member.ConnectAsync();
        using var ownerHttp = owner.Http();
        using var memberHttp = member.Http();

        var original = (await (await member.PostAsync(channel, "first draft")).Content.ReadFromJsonAsync<MessageDto>())!;
        var reply = (await (await ownerHttp.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "a reply", replyToId = original.Id }))
            .Content.ReadFromJsonAsync<MessageDto>())!;
        using var editByOther = await ownerHttp.PutAsJsonAsync($"/api/channels/{channel}/messages/{original.Id}", new { content = "hijacked" });
        using var edit = await memberHttp.PutAsJsonAsync($"/api/channels/{channel}/messages/{original.Id}", new { content = "final text" });
        using var react = await memberHttp.PutAsync($"/api/channels/{channel}/messages/{reply.Id}/reactions/{Uri.EscapeDataString("👍")}", null);
        await memberHub.InvokeAsync("Typing", channel);
        using var memberDeletesOwners = await memberHttp.DeleteAsync($"/api/channels/{channel}/messages/{reply.Id}");
        using var ownerModerates = await ownerHttp.DeleteAsync($"/api/channels/{channel}/messages/{original.Id}");

        Assert.Equal(original.Id, reply.ReplyToId);
        Assert.Equal(HttpStatusCode.Forbidden, editByOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal("final text", (await edited.NextAsync(Wait)).Content);
        Assert.Equal("👍", Assert.Single(await reactions.NextAsync(Wait)).Emoji);
        Assert.Equal(member.Id, await typing.NextAsync(Wait));
        Assert.Equal(HttpStatusCode.Forbidden, memberDeletesOwners.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, ownerModerates.StatusCode);
        Assert.Equal(original.Seq, await deleted.NextAsync(Wait));
        var history = await owner.HistoryAsync(channel);
        var stored = history.Single(m => m.GetProperty("id").GetGuid() == original.Id);
        Assert.True(stored.GetProperty("deleted").GetBoolean());
        Assert.Equal("", stored.GetProperty("content").GetString());
        var storedReply = history.Single(m => m.GetProperty("id").GetGuid() == reply.Id);
        Assert.Equal(1, storedReply.GetProperty("reactions")[0].GetProperty("count").GetInt32());
        Assert.Equal(member.Id, storedReply.GetProperty("reactions")[0].GetProperty("userIds")[0].GetGuid());
    }

    [Fact]
    public async Task Presence_is_shared_across_replicas_and_members_see_who_is_online()
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        var alice = await ChatUsers.RegisterAsync(Api);
        var bob = await ChatUsers.RegisterAsync(Api);
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        await using var aliceHub = await alice.ConnectAsync(replicas[0]);
        var presence = new Inbox<(Guid, bool)>();
        aliceHub.On<Guid, bool>("PresenceChanged", (id, online) => presence.Add((id, online)));

        var bobHub = await bob.ConnectAsync(replicas[1]);
        // Generous waits: on a loaded 2-core CI machine (browser and embedding tests run beside this one) events can lag.
        Assert.Equal((bob.Id, true), await presence.NextAsync(TimeSpan.FromSeconds(30), p => p.Item1 == bob.Id));
        using var http = alice.Http(replicas[0]);
        var members = await http.GetFromJsonAsync<JsonElement[]>($"/api/channels/{channel}/members");
        Assert.True(members!.Single(m => m.GetProperty("userId").GetGuid() == bob.Id).GetProperty("online").GetBoolean());

        await bobHub.DisposeAsync();
        Assert.Equal((bob.Id, false), await presence.NextAsync(TimeSpan.FromSeconds(30), p => p.Item1 == bob.Id));
    }
}
