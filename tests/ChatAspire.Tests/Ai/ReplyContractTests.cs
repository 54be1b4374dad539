using System.Text.Json;
using System.Text.RegularExpressions;
using Chat.Api.Messages;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Ai;

/// <summary>What docs/realtime.md promises about assistant replies and hub refusals.</summary>
public sealed partial class ReplyContractTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task A_reply_longer_than_a_message_is_stored_as_consecutive_messages_that_join_to_exactly_the_reply_and_a_retry_adds_nothing()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "long");
        var channel = await alice.CreateChannelAsync();
        using var question = await alice.PostAsync(channel, "a question for the assistant");
        var questionId = (await question.Content.ReadFromJsonAsync<MessageDto>())!.Id;
        // A job as the mention path creates it (the built-in worker is not involved: the test is the worker).
        var jobId = Guid.CreateVersion7();
        await using (var db = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb)))
        {
            await db.OpenAsync();
            await using var insert = new Npgsql.NpgsqlCommand(
                """INSERT INTO ai_jobs ("Id", "ChannelId", "MessageId", "RequestedBy", "Status", "CreatedAt") VALUES ($1, $2, $3, $4, 'queued', now())""", db);
            insert.Parameters.AddWithValue(jobId);
            insert.Parameters.AddWithValue(channel);
            insert.Parameters.AddWithValue(questionId);
            insert.Parameters.AddWithValue(alice.Id);
            await insert.ExecuteNonQueryAsync();
        }
        var paragraphs = Enumerable.Range(1, 60).Select(i => $"Paragraph {i}: " + string.Join(' ', Enumerable.Repeat($"word{i}", 20)) + ".");
        var reply = string.Join("\n\n", paragraphs) + " Sources: [1]";
        Assert.True(reply.Length > 2 * 4000);
        using var worker = new HttpClient { BaseAddress = Api };
        worker.DefaultRequestHeaders.Authorization = new("Bearer",
            Tokens.AccessToken(ServiceTokens.IdOf("aiworker"), "aiworker", TimeSpan.FromMinutes(5), role: ServiceTokens.Role));
        var request = new AiReplyRequest(jobId, channel, questionId, reply, [new AiCitation(1, Guid.NewGuid(), "doc.md", null, "Intro")], "completed");

        using var first = await worker.PostAsJsonAsync("/api/ai/replies", request);
        using var retry = await worker.PostAsJsonAsync("/api/ai/replies", request);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var parts = (await alice.HistoryAsync(channel, "?limit=100")).Where(m => m.GetProperty("type").GetString() == "ai").ToArray();
        Assert.Equal(3, parts.Length);
        Assert.Equal(reply, string.Concat(parts.Select(p => p.GetProperty("content").GetString())));
        Assert.All(parts, p => Assert.True(p.GetProperty("content").GetString()!.Length <= 4000));
        Assert.All(parts, p => Assert.Equal(questionId, p.GetProperty("replyToId").GetGuid()));
        Assert.Equal(Enumerable.Range(2, 3).Select(n => (long)n), parts.Select(p => p.GetProperty("seq").GetInt64()));
        Assert.Equal(JsonValueKind.Null, parts[0].GetProperty("citations").ValueKind);
        Assert.Single(parts[^1].GetProperty("citations").EnumerateArray());
        using var http = alice.Http();
        var job = await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}");
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(parts[0].GetProperty("id").GetGuid(), job.GetProperty("replyMessageId").GetGuid());
        Assert.Equal(parts[0].GetProperty("id").GetGuid(), (await first.Content.ReadFromJsonAsync<MessageDto>())!.Id);
    }

    [Fact]
    public async Task Cancelling_a_finished_reply_is_a_conflict_that_says_so_over_rest_and_the_hub()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "cancel");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await alice.ConnectAsync();
        var events = AiScenario.Record(hub);
        var (jobId, messageId) = await AiScenario.AskAsync(alice, channel, "Is anybody there?");
        await events.ReplyAsync(messageId);
        using var http = alice.Http();
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/api/ai/jobs/{jobId}")).GetProperty("status").GetString() != "queued",
            TimeSpan.FromSeconds(30), "the job to finish");

        using var rest = await http.PostAsync($"/api/ai/jobs/{jobId}/cancel", null);
        var hubError = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("CancelAiReply", jobId));

        Assert.Equal(HttpStatusCode.Conflict, rest.StatusCode);
        Assert.Contains("already finished", (await rest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var kind = RefusalPattern().Match(hubError.Message);
        Assert.True(kind.Success, hubError.Message);
        Assert.Equal("Conflict", kind.Groups[1].Value);
        Assert.Contains("already finished", kind.Groups[2].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_hub_refusal_carries_its_kind_in_the_documented_form()
    {
        var alice = await ChatUsers.RegisterAsync(Api, "kinds");
        var mallory = await ChatUsers.RegisterAsync(Api, "kinds");
        var channel = await alice.CreateChannelAsync();
        await using var hub = await mallory.ConnectAsync();

        var forbidden = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("hi")));
        var notFound = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<MessageDto>("SendMessage", Guid.NewGuid(), new SendMessageRequest("hi")));
        var invalid = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<MessageDto>("SendMessage", channel, new SendMessageRequest("   ")));

        Assert.Equal(("Forbidden", "You are not a member of this channel."), Parse(forbidden));
        Assert.Equal(("NotFound", "No such channel."), Parse(notFound));
        Assert.Equal(("Invalid", "The message is empty."), Parse(invalid));
        Assert.StartsWith("An unexpected error occurred invoking 'SendMessage' on the server. HubException: ", forbidden.Message, StringComparison.Ordinal);
    }

    private static (string Kind, string Sentence) Parse(HubException error)
    {
        var match = RefusalPattern().Match(error.Message);
        Assert.True(match.Success, error.Message);
        return (match.Groups[1].Value, match.Groups[2].Value);
    }

    /// <summary>The pattern docs/realtime.md gives client writers.</summary>
    [GeneratedRegex("HubException: (Invalid|Forbidden|NotFound|Conflict|RateLimited|Unavailable): (.*)$", RegexOptions.Singleline)]
    private static partial Regex RefusalPattern();
}
