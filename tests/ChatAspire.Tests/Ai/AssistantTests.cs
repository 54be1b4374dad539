using System.Collections.Concurrent;
using System.Text.Json;
using ChatAspire.Tests.Files;
using ChatAspire.Tests.Infrastructure;
using ChatAspire.Tests.Rag;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Ai;

/// <summary>The assistant end to end through the AppHost, with the built-in (extractive) provider.</summary>
public sealed class AssistantTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_question_in_a_channel_with_a_shared_document_streams_a_reply_that_is_persisted_and_cites_the_document()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "ai");
        var channel = await alice.CreateChannelAsync();
        var fileId = await AiScenario.ShareDocumentAsync(fixture, alice, channel, "policy.md",
            "# Travel policy\n\nTrain tickets are reimbursed in second class only. Flights need approval from a director before booking.\n\n" +
            "# Office\n\nThe office closes at six in the evening.\n");
        var replicas = await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api);
        await using var hub = await alice.ConnectAsync(replicas[1]);
        var events = AiScenario.Record(hub);

        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Which class are train tickets reimbursed in?");

        var reply = await events.ReplyAsync(messageId);
        await events.CompletedAsync(jobId);
        var deltas = events.DeltasOf(jobId);
        Assert.True(deltas.Count(d => d.State == AiReplyDelta.Streaming) >= 3, $"expected several deltas, got {deltas.Count}");
        Assert.Single(deltas, d => d.State == AiReplyDelta.Completed);
        // Deltas may arrive out of order (relayed by either API replica); their offsets put them back together.
        Assert.Equal(reply.GetProperty("content").GetString(), string.Concat(deltas.OrderBy(d => d.Offset).Select(d => d.Text)).Trim());
        Assert.Equal("ai", reply.GetProperty("type").GetString());
        Assert.Equal(global::Chat.Api.Accounts.User.AssistantId, reply.GetProperty("senderId").GetGuid());
        var content = reply.GetProperty("content").GetString()!;
        Assert.Contains("second class", content, StringComparison.Ordinal);
        Assert.Contains("[1]", content, StringComparison.Ordinal);
        Assert.Contains("built-in retrieval assistant", content, StringComparison.Ordinal);
        var citation = Assert.Single(reply.GetProperty("citations").EnumerateArray());
        Assert.Equal(fileId, citation.GetProperty("fileId").GetGuid());
        Assert.Equal("policy.md", citation.GetProperty("fileName").GetString());
        Assert.Equal("Travel policy", citation.GetProperty("heading").GetString());

        // Persisted once, as a reply to the question, and the job is completed.
        var history = await alice.HistoryAsync(channel);
        Assert.Single(history, m => m.GetProperty("type").GetString() == "ai" && m.GetProperty("replyToId").GetGuid() == messageId);
        using var http = alice.Http();
        var job = await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}");
        Assert.Equal("completed", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_assistant_quotes_and_cites_an_earlier_message_of_the_channel_beyond_the_recent_conversation_and_never_once_it_is_deleted()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "ai-mem");
        var channel = await alice.CreateChannelAsync();
        var factId = await SendAsync(alice, channel, "The guest wifi password is tulip-forty-two, valid until March.");
        for (var i = 0; i < 21; i++)
        {
            await SendAsync(alice, channel, $"small talk {i}"); // the fact falls out of the 20 recent messages the prompt holds
        }
        await using (var connection = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.RagDb)))
        {
            await connection.OpenAsync();
            await Poll.UntilAsync(async () =>
            {
                await using var command = new Npgsql.NpgsqlCommand("""SELECT count(*) FROM memory_messages WHERE "ChannelId" = $1""", connection);
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = channel });
                return (long)(await command.ExecuteScalarAsync())! == 22;
            }, TimeSpan.FromSeconds(90), "the channel's messages to reach the team memory");
        }
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);

        var (_, messageId) = await AiScenario.AskAsync(alice, channel, "What is the guest wifi password?");

        var reply = await events.ReplyAsync(messageId);
        var content = reply.GetProperty("content").GetString()!;
        Assert.Contains("tulip-forty-two", content, StringComparison.Ordinal);
        Assert.StartsWith("From this channel's documents and earlier messages:", content, StringComparison.Ordinal);
        var citation = Assert.Single(reply.GetProperty("citations").EnumerateArray());
        Assert.Equal(factId, citation.GetProperty("messageId").GetGuid());
        Assert.Equal(channel, citation.GetProperty("channelId").GetGuid());
        Assert.Equal(1, citation.GetProperty("seq").GetInt64());
        Assert.Equal(JsonValueKind.Null, citation.GetProperty("fileId").ValueKind);

        // Deleted, it is gone from the answers at once (its stale mark is set before the deletion commits), and for good.
        using (var http = alice.Http())
        using (var deleted = await http.DeleteAsync($"/api/channels/{channel}/messages/{factId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var (_, again) = await AiScenario.AskAsync(alice, channel, "What is the guest wifi password?");
        var second = await events.ReplyAsync(again);
        Assert.DoesNotContain("tulip", second.GetProperty("content").GetString()!, StringComparison.Ordinal);
        var cited = second.GetProperty("citations") is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray().ToList() : [];
        Assert.DoesNotContain(cited, c => c.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String && id.GetGuid() == factId);
    }

    /// <summary>Sends through the REST API, waiting out the send limit's Retry-After when it refuses.</summary>
    private static async Task<Guid> SendAsync(ChatUser user, Guid channel, string content)
    {
        while (true)
        {
            using var response = await user.PostAsync(channel, content);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
    }

    [Fact]
    public async Task Without_documents_the_built_in_assistant_says_what_it_is_and_invents_nothing()
    {
        var bob = await ChatUsers.RegisterAsync(Api, "ai-nodoc");
        var channel = await bob.CreateChannelAsync();
        await using var hub = await bob.ConnectAsync();
        var events = AiScenario.Record(hub);
        using (var http = bob.Http())
        {
            using var mention = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "@assistant what is the capital of France?" });
            Assert.Equal(HttpStatusCode.Created, mention.StatusCode);
            var messageId = (await mention.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var reply = await events.ReplyAsync(messageId);
            var content = reply.GetProperty("content").GetString()!;
            Assert.StartsWith("No documents are shared in this channel yet", content, StringComparison.Ordinal);
            Assert.Contains("not a language model", content, StringComparison.Ordinal);
            Assert.DoesNotContain("Paris", content, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Asking_with_an_empty_question_is_a_problem_and_strangers_cannot_ask_or_cancel()
    {
        var owner = await ChatUsers.RegisterAsync(Api, "ai-own");
        var stranger = await ChatUsers.RegisterAsync(Api, "ai-str");
        var channel = await owner.CreateChannelAsync();
        using var http = owner.Http();
        using var empty = await http.PostAsJsonAsync($"/api/channels/{channel}/ai/ask", new { question = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using var other = stranger.Http();
        using var refused = await other.PostAsJsonAsync($"/api/channels/{channel}/ai/ask", new { question = "hello?" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var (jobId, _) = await AiScenario.AskAsync(owner, channel, "hello?");
        using var cancel = await other.PostAsync($"/api/ai/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        using var post = await other.PostAsJsonAsync("/api/ai/replies", new AiReplyRequest(jobId, channel, jobId, "forged", [], "completed"));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
    }
}

/// <summary>Steps the assistant tests share.</summary>
public static class AiScenario
{
    /// <summary>A document ingested and searched twice (a cache hit), and a question answered: every RAG and AI metric gets a sample.</summary>
    public static async Task ExerciseAsync(AppHostFixture fixture)
    {
        var api = fixture.ProxyClient(ResourceNames.Api).BaseAddress!;
        var asker = await ChatUsers.RegisterAsync(api, "exercise-ai");
        var room = await asker.CreateChannelAsync();
        await ShareDocumentAsync(fixture, asker, room, "metrics.md", $"# Metrics\n\nEvery service exposes metrics {Guid.NewGuid():N}.\n");
        using (var rag = fixture.ProxyClient(ResourceNames.Rag))
        {
            rag.DefaultRequestHeaders.Authorization = new("Bearer", asker.Token);
            for (var i = 0; i < 2; i++)
            {
                (await rag.PostAsJsonAsync("/api/rag/search", new { query = "which service exposes metrics", topK = 3 })).EnsureSuccessStatusCode();
            }
        }
        await using var watcher = await asker.ConnectAsync();
        var events = Record(watcher);
        var (_, question) = await AskAsync(asker, room, "Which service exposes metrics?");
        await events.ReplyAsync(question);
    }

    public static async Task<Guid> ShareDocumentAsync(AppHostFixture fixture, ChatUser user, Guid channel, string name, string markdown)
    {
        var fileId = await fixture.UploadAsync(user, name, RagSamples.Markdown(markdown));
        using (var http = user.Http())
        {
            using var post = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "the document", attachments = new[] { fileId } });
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        using var rag = fixture.ProxyClient(ResourceNames.Rag);
        rag.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        await Poll.UntilAsync(async () =>
        {
            using var response = await rag.GetAsync($"/api/rag/documents/by-file/{fileId}");
            return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == "ready";
        }, TimeSpan.FromSeconds(120), "the document to be ingested");
        return fileId;
    }

    public static async Task<(Guid JobId, Guid MessageId)> AskAsync(ChatUser user, Guid channel, string question, Uri? replica = null)
    {
        using var http = user.Http(replica);
        using var response = await http.PostAsJsonAsync($"/api/channels/{channel}/ai/ask", new { question });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("jobId").GetGuid(), body.GetProperty("message").GetProperty("id").GetGuid());
    }

    public static HubEvents Record(HubConnection hub) => new(hub);

    /// <summary>Assistant deltas and created messages seen by one hub connection.</summary>
    public sealed class HubEvents
    {
        private readonly ConcurrentQueue<AiReplyDelta> _deltas = new();
        private readonly ConcurrentQueue<JsonElement> _messages = new();

        public HubEvents(HubConnection hub)
        {
            hub.On<AiReplyDelta>("AiReplyDelta", d => _deltas.Enqueue(d));
            hub.On<JsonElement>("MessageCreated", m => _messages.Enqueue(m));
        }

        public IReadOnlyList<AiReplyDelta> DeltasOf(Guid jobId) => [.. _deltas.Where(d => d.JobId == jobId)];

        public IReadOnlyList<AiReplyDelta> All => [.. _deltas];

        /// <summary>
        /// Waits for the job's last delta (<see cref="AiReplyDelta.Completed"/>). It and the posted reply travel different
        /// ways (the delta relay and the message broadcast), so either may come first.
        /// </summary>
        public Task CompletedAsync(Guid jobId, TimeSpan? timeout = null) =>
            Poll.UntilAsync(() => Task.FromResult(_deltas.Any(d => d.JobId == jobId && d.State == AiReplyDelta.Completed)),
                timeout ?? TimeSpan.FromSeconds(30), "the job's completed delta");

        /// <summary>Waits for the assistant's message replying to <paramref name="messageId"/>.</summary>
        public async Task<JsonElement> ReplyAsync(Guid messageId, TimeSpan? timeout = null)
        {
            JsonElement found = default;
            await Poll.UntilAsync(() =>
            {
                var match = _messages.Where(m => m.GetProperty("type").GetString() == "ai"
                    && m.TryGetProperty("replyToId", out var r) && r.ValueKind == JsonValueKind.String && r.GetGuid() == messageId).ToList();
                if (match.Count > 0)
                {
                    found = match[0];
                }
                return Task.FromResult(match.Count > 0);
            }, timeout ?? TimeSpan.FromSeconds(60), "the assistant's reply");
            return found;
        }
    }
}

/// <summary>Back-pressure: a full assistant queue refuses new questions clearly and loses nothing already accepted.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class AssistantBackPressureTests(AppHostFixture fixture)
{
    [Fact]
    public async Task With_the_queue_full_asking_is_refused_as_busy_and_a_mention_is_posted_with_a_busy_notice()
    {
        var api = fixture.ProxyClient(ResourceNames.Api).BaseAddress!;
        var user = await ChatUsers.RegisterAsync(api, "ai-busy");
        var channel = await user.CreateChannelAsync();
        await using var connection = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await connection.OpenAsync();
        // 50 unfinished jobs (the default Ai:MaxQueuedJobs) in this test's own channel fill the queue.
        await using (var fill = new Npgsql.NpgsqlCommand("""
            INSERT INTO ai_jobs ("Id", "ChannelId", "MessageId", "RequestedBy", "Status", "CreatedAt")
            SELECT gen_random_uuid(), @channel, gen_random_uuid(), @user, 'queued', now() FROM generate_series(1, 50)
            """, connection))
        {
            fill.Parameters.AddWithValue("channel", channel);
            fill.Parameters.AddWithValue("user", user.Id);
            await fill.ExecuteNonQueryAsync();
        }
        try
        {
            await using var hub = await user.ConnectAsync();
            var events = AiScenario.Record(hub);
            using var http = user.Http();
            using var ask = await http.PostAsJsonAsync($"/api/channels/{channel}/ai/ask", new { question = "anyone there?" });
            Assert.Equal(HttpStatusCode.TooManyRequests, ask.StatusCode);
            Assert.NotNull(ask.Headers.RetryAfter);
            Assert.Contains("busy", await ask.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Empty(await user.HistoryAsync(channel)); // nothing stored for a refused ask

            using var mention = await http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = "@assistant are you there?" });
            Assert.Equal(HttpStatusCode.Created, mention.StatusCode); // the message itself is never lost
            await Poll.UntilAsync(() => Task.FromResult(events.All.Any(d => d.State == AiReplyDelta.Busy && d.ChannelId == channel)),
                TimeSpan.FromSeconds(10), "a busy notice");
            Assert.Single(await user.HistoryAsync(channel));
        }
        finally
        {
            await using var clear = new Npgsql.NpgsqlCommand("""DELETE FROM ai_jobs WHERE "ChannelId" = @channel AND "Status" = 'queued'""", connection);
            clear.Parameters.AddWithValue("channel", channel);
            await clear.ExecuteNonQueryAsync();
        }
    }
}
