using System.Diagnostics;
using ChatAspire.ServiceDefaults.Observability;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ChatAspire.UnitTests.Observability;

/// <summary>
/// The root sampler on a real tracer provider: normal traces at the normal ratio (1 here), high-volume ones at theirs
/// (0 here), so each decision is visible as recorded or not. The hub-call tags are the ones ASP.NET Core's SignalR server
/// span is created with (the dashboard test checks the same through the running system).
/// </summary>
public sealed class SamplerTests : IDisposable
{
    private readonly ActivitySource _source = new($"sampler-test-{Guid.NewGuid():N}");
    private readonly TracerProvider _provider;

    public SamplerTests() => _provider = Sdk.CreateTracerProviderBuilder()
        .AddSource(_source.Name)
        .SetSampler(new ParentBasedSampler(new VolumeAwareSampler(ratio: 1.0, highVolumeRatio: 0.0)))
        .Build();

    [Theory]
    [InlineData("SendMessage", false)]
    [InlineData("Typing", false)]
    [InlineData("OnConnectedAsync", true)]
    [InlineData("OnDisconnectedAsync", true)]
    public void A_hub_method_call_is_high_volume_and_connecting_is_not(string method, bool recorded)
    {
        using var hubCall = _source.StartActivity($"Chat.Api.Realtime.ChatHub/{method}", ActivityKind.Server, default(ActivityContext),
            [new("rpc.method", method), new("rpc.system", "signalr"), new("rpc.service", "Chat.Api.Realtime.ChatHub")]);
        Assert.Equal(recorded, hubCall?.Recorded ?? false);
    }

    [Fact]
    public void A_span_tagged_high_volume_is_high_volume_and_a_plain_operation_is_not()
    {
        using (var batch = _source.StartActivity("message.batch", ActivityKind.Internal, default(ActivityContext), VolumeAwareSampler.HighVolumeTags))
        {
            Assert.False(batch?.Recorded ?? false);
        }
        using var request = _source.StartActivity("POST /api/channels/{channelId}/messages", ActivityKind.Server);
        Assert.True(request?.Recorded);
    }

    [Fact]
    public void A_client_call_with_nothing_above_it_is_never_a_trace_and_under_a_kept_operation_it_is_kept()
    {
        using (var poll = _source.StartActivity("XREADGROUP", ActivityKind.Client))
        {
            Assert.False(poll?.Recorded ?? false);
        }
        using var operation = _source.StartActivity("ai:jobs process", ActivityKind.Consumer);
        using var call = _source.StartActivity("INSERT chatdb", ActivityKind.Client);
        Assert.True(call?.Recorded);
    }

    public void Dispose()
    {
        _provider.Dispose();
        _source.Dispose();
    }
}
