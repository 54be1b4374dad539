using System.Reflection;
using Chat.Api.Realtime;

namespace ChatAspire.Tests.Chat;

/// <summary>docs/realtime.md is the client contract: every event the server can send and every hub method is in it.</summary>
public sealed class RealtimeContractDocumentationTests
{
    private static readonly string Contract = File.ReadAllText(RepoPaths.Combine("docs", "realtime.md"));

    [Fact]
    public void Every_event_the_server_sends_is_in_the_contract()
    {
        var events = typeof(IChatHubClient).GetMethods().Select(m => m.Name).ToArray();

        Assert.Contains("DocumentStatus", events);
        Assert.All(events, e => Assert.Contains($"`{e}`", Contract, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_hub_method_a_client_can_call_is_in_the_contract()
    {
        var methods = typeof(ChatHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name is not (nameof(ChatHub.OnConnectedAsync) or nameof(ChatHub.OnDisconnectedAsync)))
            .Select(m => m.Name).ToArray();

        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.Contains($"`{m}", Contract, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_refusal_kind_is_in_the_contract()
    {
        Assert.All(Enum.GetNames<global::Chat.Api.ChatErrorKind>(), kind => Assert.Contains($"`{kind}`", Contract, StringComparison.Ordinal));
    }
}
