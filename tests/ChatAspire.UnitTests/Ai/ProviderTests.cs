using Chat.AiWorker.Providers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatAspire.Tests.Ai;

/// <summary>The real Ollama and OpenAI clients, through the worker's own pipeline, against servers speaking their wire formats.</summary>
public sealed class ProviderTests : IAsyncLifetime
{
    private FakeModelServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FakeModelServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(ProviderOptions.OpenAi, "gpt-test")]
    [InlineData(ProviderOptions.Ollama, "llama3")]
    public async Task A_provider_streams_the_reply_in_pieces_with_token_counts_and_sends_the_expected_request(string provider, string model)
    {
        var health = new ProviderHealth();
        using var client = ChatClientFactory.Create(Options(provider, model), health);
        var messages = Prompt.Build("Which class for trains?", [new Prompt.HistoryLine("alice", "hi all", false)],
            [new Prompt.Source(1, "policy.md", "Trains are reimbursed in second class.")]);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, new ChatOptions { ModelId = model }))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count(u => !string.IsNullOrEmpty(u.Text)) >= _server.Words.Length, "one update per streamed word");
        Assert.Equal(string.Join(' ', _server.Words), string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details;
        Assert.Equal(42, usage.InputTokenCount);
        Assert.Equal(_server.Words.Length, usage.OutputTokenCount);

        var request = Assert.Single(_server.Requests);
        Assert.Equal(model, request.GetProperty("model").GetString());
        Assert.True(request.GetProperty("stream").GetBoolean());
        var sent = request.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user", "user"], sent.Select(m => m.GetProperty("role").GetString()));
        Assert.Contains("[1] (policy.md) Trains are reimbursed", sent[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal("alice: hi all", sent[1].GetProperty("content").GetString());
        Assert.Equal("Which class for trains?", sent[2].GetProperty("content").GetString());
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Theory]
    [InlineData(ProviderOptions.OpenAi)]
    [InlineData(ProviderOptions.Ollama)]
    public async Task A_failing_provider_is_retried_then_reported_and_the_circuit_opens_so_readiness_is_degraded(string provider)
    {
        _server.FailWithStatus = 500;
        var health = new ProviderHealth();
        var options = Options(provider, "m");
        options.Retries = 1;
        options.BreakAfter = 4;
        using var client = ChatClientFactory.Create(options, health);

        var first = await Assert.ThrowsAsync<ProviderUnavailableException>(() => DrainAsync(client));
        Assert.Equal(2, _server.Attempts); // the call and one retry
        Assert.Contains("did not answer", first.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync(new HealthCheckContext())).Status);

        await Assert.ThrowsAsync<ProviderUnavailableException>(() => DrainAsync(client));
        Assert.Equal(4, _server.Attempts);
        // Four failures in a row: the breaker is open and the next call does not reach the server at all.
        var open = await Assert.ThrowsAsync<ProviderUnavailableException>(() => DrainAsync(client));
        Assert.Contains("paused", open.Message, StringComparison.Ordinal);
        Assert.Equal(4, _server.Attempts);
        Assert.Contains("circuit open", (await health.CheckHealthAsync(new HealthCheckContext())).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_that_never_sends_a_first_token_times_out_and_is_retried()
    {
        _server.DelayBeforeFirstByte = TimeSpan.FromSeconds(30);
        var options = Options(ProviderOptions.OpenAi, "m");
        // Long enough for each request to reach the server on a loaded machine (with 500 ms a cold first connection
        // sometimes did not, and the server saw one attempt), far shorter than the server's silence.
        options.FirstTokenTimeout = TimeSpan.FromSeconds(3);
        options.Retries = 1;
        using var client = ChatClientFactory.Create(options, new ProviderHealth());
        var error = await Assert.ThrowsAsync<ProviderUnavailableException>(() => DrainAsync(client));
        Assert.Contains("TimeoutRejectedException", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.Attempts);
    }

    [Fact]
    public async Task The_built_in_assistant_quotes_only_matching_sentences_with_their_numbers_and_says_what_it_is()
    {
        using var client = ChatClientFactory.Create(new ProviderOptions(), new ProviderHealth());
        var messages = Prompt.Build("How many vacation days do new employees get?", [],
        [
            new Prompt.Source(1, "handbook.pdf, page 3", "New employees get 25 vacation days per year. Vacation must be approved by a manager."),
            new Prompt.Source(2, "menu.md", "The canteen serves soup on Fridays. Coffee is free."),
        ]);
        var reply = (await client.GetResponseAsync(messages)).Text;
        Assert.StartsWith("From the documents shared in this channel:\n\n- \"New employees get 25 vacation days per year.\" [1]\n", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("[2]", reply, StringComparison.Ordinal);
        Assert.EndsWith(ExtractiveChatClient.Disclaimer, reply, StringComparison.Ordinal);
        var unrelated = (await client.GetResponseAsync(Prompt.Build("Who won the football match?", [], [new Prompt.Source(1, "menu.md", "The canteen serves soup on Fridays.")]))).Text;
        Assert.StartsWith("I could not find anything about that", unrelated, StringComparison.Ordinal);
    }

    private ProviderOptions Options(string provider, string model) => new()
    {
        Provider = provider,
        Model = model,
        Endpoint = provider == ProviderOptions.OpenAi ? _server.OpenAiEndpoint : _server.BaseAddress,
        ApiKey = "test-key",
        Retries = 0,
        FirstTokenTimeout = TimeSpan.FromSeconds(10),
    };

    private static async Task DrainAsync(IChatClient client)
    {
        await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello")]))
        {
        }
    }
}
