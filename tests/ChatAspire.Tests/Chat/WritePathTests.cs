using Chat.Api.Messages;
using ChatAspire.Tests.Infrastructure;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Chat;

/// <summary>The group-commit write path keeps the contract of docs/realtime.md under concurrency.</summary>
public sealed class WritePathTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Concurrent_sends_to_one_channel_through_both_replicas_get_seq_1_to_N_once_each_and_retries_return_the_original()
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        var owner = await ChatUsers.RegisterAsync(Api, "seq");
        var members = new List<ChatUser> { owner };
        var channel = await owner.CreateChannelAsync();
        for (var i = 0; i < 4; i++)
        {
            var member = await ChatUsers.RegisterAsync(Api, "seq");
            await owner.InviteAsync(channel, member);
            members.Add(member);
        }
        // Each member spends its whole send burst in the storm: the message after it comes from someone who has not sent yet.
        var latecomer = await ChatUsers.RegisterAsync(Api, "seq");
        await owner.InviteAsync(channel, latecomer);
        var hubs = new List<HubConnection>();
        foreach (var (member, i) in members.Select((m, i) => (m, i)))
        {
            hubs.Add(await member.ConnectAsync(replicas[i % replicas.Count]));
        }

        // Every member fires 15 distinct messages at once over the hub, and retries 5 of them at the same moment
        // through REST on the other replica: 100 sends in flight, 75 messages.
        var sends = members.SelectMany((member, i) =>
        {
            var ids = Enumerable.Range(0, 15).Select(_ => Guid.NewGuid()).ToArray();
            var first = ids.Select(async (id, n) => (id, (await hubs[i].InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest($"m{i}-{n}", id))).Id));
            var retries = ids.Take(5).Select(async id =>
            {
                using var response = await member.PostAsync(channel, "retry", id, replicas[(i + 1) % replicas.Count]);
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, response.StatusCode.ToString());
                return (id, (await response.Content.ReadFromJsonAsync<MessageDto>())!.Id);
            });
            return first.Concat(retries);
        }).ToArray();
        var answers = await Task.WhenAll(sends);

        var history = await owner.HistoryAsync(channel, "?limit=100");
        Assert.Equal(Enumerable.Range(1, 75).Select(n => (long)n), history.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(75, history.Select(m => m.GetProperty("clientMessageId").GetGuid()).Distinct().Count());
        // A send and its retry, whichever arrived first, answer with the one stored message.
        foreach (var group in answers.GroupBy(a => a.id))
        {
            var stored = history.Single(m => m.GetProperty("clientMessageId").GetGuid() == group.Key);
            Assert.All(group, a => Assert.Equal(stored.GetProperty("id").GetGuid(), a.Item2));
        }
        // The next message continues the sequence.
        using var next = await latecomer.PostAsync(channel, "after the storm");
        Assert.Equal(76, (await next.Content.ReadFromJsonAsync<MessageDto>())!.Seq);
        foreach (var hub in hubs)
        {
            await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task Questions_to_the_assistant_plain_sends_and_the_assistants_replies_share_one_gap_free_seq_with_one_job_per_question()
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        var owner = await ChatUsers.RegisterAsync(Api, "mixed");
        var channel = await owner.CreateChannelAsync();
        var members = new List<ChatUser> { owner };
        for (var i = 0; i < 3; i++)
        {
            var member = await ChatUsers.RegisterAsync(Api, "mixed");
            await owner.InviteAsync(channel, member);
            members.Add(member);
        }

        // Each member sends 4 plain messages and 2 questions at once, through both replicas, and retries each question
        // at the same moment through the other replica: 24 messages, 8 of them questions, 32 sends in flight.
        var sends = members.SelectMany((member, i) =>
        {
            var plain = Enumerable.Range(0, 4).Select(n => member.PostAsync(channel, $"plain {i}.{n}", Guid.NewGuid(), replicas[n % replicas.Count]));
            var questions = Enumerable.Range(0, 2).Select(_ => Guid.NewGuid()).SelectMany(id => new[]
            {
                member.PostAsync(channel, $"@assistant question {id}?", id, replicas[i % replicas.Count]),
                member.PostAsync(channel, $"@assistant question {id}?", id, replicas[(i + 1) % replicas.Count]),
            });
            return plain.Concat(questions);
        }).ToArray();
        var responses = await Task.WhenAll(sends);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, r.StatusCode.ToString()));
        var questionIds = (await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<MessageDto>())))
            .Where(m => m!.Content.StartsWith("@assistant", StringComparison.Ordinal)).Select(m => m!.Id).ToHashSet();
        foreach (var response in responses)
        {
            response.Dispose();
        }
        Assert.Equal(8, questionIds.Count); // a question and its retry answer with one message

        // Every question gets exactly one reply, and the replies take their numbers from the same sequence.
        JsonElement[] history = [];
        await Poll.UntilAsync(async () =>
        {
            history = await owner.HistoryAsync(channel, "?limit=100");
            return history.Count(m => m.GetProperty("type").GetString() == "ai") >= 8;
        }, TimeSpan.FromSeconds(90), "a reply to each of the 8 questions");
        history = await owner.HistoryAsync(channel, "?limit=100");
        Assert.Equal(Enumerable.Range(1, history.Length).Select(n => (long)n), history.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(24, history.Count(m => m.GetProperty("type").GetString() != "ai"));
        var replies = history.Where(m => m.GetProperty("type").GetString() == "ai").ToList();
        Assert.Equal(questionIds.Order(), replies.Select(r => r.GetProperty("replyToId").GetGuid()).Order());
    }

    [Fact]
    public async Task A_retry_of_a_stored_message_gets_the_original_even_when_the_sender_is_over_the_send_limit()
    {
        var replica = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var alice = await ChatUsers.RegisterAsync(Api, "limit");
        var channel = await alice.CreateChannelAsync();
        var clientId = Guid.NewGuid();
        using var original = await alice.PostAsync(channel, "stored once", clientId, replica);
        var stored = (await original.Content.ReadFromJsonAsync<MessageDto>())!;

        // The bucket refills 5 tokens each second, at a moment the test does not control. An attempt is conclusive when a
        // fresh send right after the retry is still refused: no refill came between emptying the bucket and that send,
        // so the retry was answered with the bucket empty. A refill in between spoils only that attempt.
        var conclusive = false;
        for (var attempt = 0; attempt < 5 && !conclusive; attempt++)
        {
            HttpStatusCode status;
            var n = 0;
            do
            {
                using var burst = await alice.PostAsync(channel, $"burst {attempt}.{n++}", replica: replica);
                status = burst.StatusCode;
            }
            while (status != HttpStatusCode.TooManyRequests && n < 200);
            Assert.Equal(HttpStatusCode.TooManyRequests, status);

            using var retry = await alice.PostAsync(channel, "stored once", clientId, replica);
            using var fresh = await alice.PostAsync(channel, "a new one", Guid.NewGuid(), replica);

            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Equal(stored.Id, (await retry.Content.ReadFromJsonAsync<MessageDto>())!.Id);
            conclusive = fresh.StatusCode == HttpStatusCode.TooManyRequests;
            Assert.True(conclusive || fresh.StatusCode == HttpStatusCode.Created, $"fresh send answered {fresh.StatusCode}");
        }
        Assert.True(conclusive, "every attempt met a refill of the bucket");
    }
}
